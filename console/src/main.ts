/**
 * The staxid console: sign-in, then a page per hash route (#/accounts, #/users, ...). Plain
 * TypeScript and DOM (ADR 0019); every API error is shown in words, and a session the API
 * no longer accepts (signed out, deactivated) brings back the sign-in form.
 */
import './styles.css';
import { Api, ApiError } from './api';
import {
  type ConsoleConfig,
  forgetSession,
  loadConfig,
  type Session,
  SignInError,
  type SignInStep,
  setNewPassword,
  signInWithPassword,
  storedSession,
} from './auth';
import type { Me, Page, PageContext } from './context';
import { field, h, notice, replace } from './dom';
import { accountsPage } from './pages/accounts';
import { auditPage } from './pages/audit';
import { accountTypesPage, groupsPage } from './pages/groups';
import { supportPage } from './pages/support';
import { tokensPage } from './pages/tokens';
import { usersPage } from './pages/users';

interface Route {
  readonly path: string;
  readonly title: string;
  readonly page: Page;
  /** Shown to Admins only: the API answers nobody else. */
  readonly adminOnly?: boolean;
}

const ROUTES: readonly Route[] = [
  { path: '#/accounts', title: 'My AWS accounts', page: accountsPage },
  { path: '#/users', title: 'Users', page: usersPage },
  { path: '#/groups', title: 'Groups', page: groupsPage },
  { path: '#/account-types', title: 'Account types', page: accountTypesPage },
  { path: '#/api-tokens', title: 'API tokens', page: tokensPage },
  { path: '#/support', title: 'Support access', page: supportPage },
  { path: '#/audit', title: 'Audit log', page: auditPage, adminOnly: true },
];

const app = document.getElementById('app') as HTMLElement;

async function start(): Promise<void> {
  let config: ConsoleConfig;
  try {
    config = await loadConfig();
  } catch (error) {
    replace(app, notice('error', error instanceof Error ? error.message : String(error)));
    return;
  }
  const session = storedSession();
  if (session) await openConsole(config, session);
  else showSignIn(config);
}

function showSignIn(config: ConsoleConfig, message?: string): void {
  const username = h('input', { type: 'text', autocomplete: 'username', required: true });
  const password = h('input', { type: 'password', autocomplete: 'current-password', required: true });
  const status = h('div', { 'aria-live': 'polite' }, message && notice('info', message));
  const form = h(
    'form',
    { class: 'sign-in', 'aria-label': 'Sign in' },
    h('h1', {}, 'Sign in to staxid'),
    status,
    field('Username', username),
    field('Password', password),
    h('button', { type: 'submit' }, 'Sign in'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const name = username.value.trim();
    void advance(config, status, name, () => signInWithPassword(config, name, password.value));
  });
  replace(app, h('main', { id: 'main', tabindex: '-1' }, form));
  username.focus();
}

function showNewPassword(config: ConsoleConfig, username: string, challenge: string): void {
  const password = h('input', { type: 'password', autocomplete: 'new-password', required: true });
  const repeat = h('input', { type: 'password', autocomplete: 'new-password', required: true });
  const status = h('div', { 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'sign-in', 'aria-label': 'Set your password' },
    h('h1', {}, 'Set your password'),
    h('p', {}, 'This is your first sign-in: choose the password you will use from now on.'),
    status,
    field('New password', password),
    field('Repeat the new password', repeat),
    h('button', { type: 'submit' }, 'Set password and sign in'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (password.value !== repeat.value) {
      replace(status, notice('error', 'The two passwords differ: type the same password twice.'));
      return;
    }
    void advance(config, status, username, () => setNewPassword(config, username, challenge, password.value));
  });
  replace(app, h('main', { id: 'main', tabindex: '-1' }, form));
  password.focus();
}

async function advance(
  config: ConsoleConfig,
  status: HTMLElement,
  username: string,
  step: () => Promise<SignInStep>,
): Promise<void> {
  replace(status, notice('info', 'Signing in…'));
  try {
    const next = await step();
    if (next.kind === 'new-password-required') showNewPassword(config, username, next.challenge);
    else await openConsole(config, next.session);
  } catch (error) {
    replace(status, notice('error', error instanceof SignInError ? error.message : String(error)));
  }
}

async function openConsole(config: ConsoleConfig, session: Session): Promise<void> {
  const signOut = (reason?: string): void => {
    forgetSession();
    window.removeEventListener('hashchange', onRoute);
    showSignIn(config, reason);
  };
  const api = new Api(session.accessToken, (reason) => signOut(reason));
  let me: Me;
  try {
    const { Users } = await api.get<{ Users: Me[] }>('/users/me');
    const found = Users[0];
    if (!found) throw new ApiError(404, 'staxid does not know your user: ask an administrator.');
    me = found;
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401)) {
      signOut(error instanceof Error ? error.message : String(error));
    }
    return;
  }
  const context: PageContext = { api, me, config, isAdmin: me.Role === 'customer_admin' };
  const main = h('main', { id: 'main', tabindex: '-1' });
  const routes = ROUTES.filter((route) => context.isAdmin || !route.adminOnly);
  const links = routes.map((route) => h('a', { href: route.path }, route.title));
  replace(
    app,
    h(
      'header',
      {},
      h('span', { class: 'brand' }, 'staxid'),
      h('nav', { 'aria-label': 'Pages' }, ...links),
      h('span', { class: 'who' }, `${me.FirstName ?? ''} ${me.LastName ?? ''}`.trim() || me.Email),
      h(
        'button',
        { type: 'button', class: 'secondary', onclick: () => signOut('You are signed out.') },
        'Sign out',
      ),
    ),
    main,
  );
  async function onRoute(): Promise<void> {
    const route = routes.find((candidate) => candidate.path === window.location.hash) ?? routes[0];
    if (!route) return;
    for (const link of links) link.toggleAttribute('aria-current', link.getAttribute('href') === route.path);
    document.title = `${route.title} · staxid`;
    replace(main, notice('info', 'Loading…'));
    try {
      await route.page(main, context);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return;
      replace(
        main,
        h('h1', {}, route.title),
        notice('error', error instanceof Error ? error.message : String(error)),
      );
    }
    main.focus();
  }
  window.addEventListener('hashchange', onRoute);
  await onRoute();
}

void start();
