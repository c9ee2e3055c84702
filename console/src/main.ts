/**
 * The staxid console: sign-in, then a page per hash route (#/accounts, #/users, ...). Plain
 * TypeScript and DOM (ADR 0019); every API error is shown in words, and a session the API
 * no longer accepts (signed out, deactivated) brings back the sign-in form.
 */
import './styles.css';
import { Api, ApiError, SESSION_ENDED } from './api';
import {
  type AwsConsoleConfig,
  type ConsoleConfig,
  completeHostedSignIn,
  forgetSession,
  type LocalConsoleConfig,
  loadConfig,
  revokeSession,
  type Session,
  SessionKeeper,
  SignInError,
  type SignInStep,
  setNewPassword,
  signInWithPassword,
  signOutOfHostedUi,
  startHostedSignIn,
  storedSession,
} from './auth';
import type { Me, Page, PageContext } from './context';
import { errorText } from './dialog';
import { field, h, notice, replace } from './dom';
import { accountsPage } from './pages/accounts';
import { auditPage } from './pages/audit';
import { accountTypesPage, groupsPage } from './pages/groups';
import { permissionSetsPage } from './pages/permission-sets';
import { scimPage } from './pages/scim';
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
  { path: '#/permission-sets', title: 'Permission sets', page: permissionSetsPage },
  { path: '#/api-tokens', title: 'API tokens', page: tokensPage },
  { path: '#/support', title: 'Support access', page: supportPage },
  { path: '#/scim', title: 'SCIM provisioning', page: scimPage, adminOnly: true },
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
  let session: Session | undefined;
  try {
    session = (config.mode === 'aws' && (await completeHostedSignIn(config))) || storedSession();
  } catch (error) {
    showSignIn(config, { kind: 'error', text: errorText(error) });
    return;
  }
  if (session) await openConsole(config, session);
  else showSignIn(config);
}

/** Why the sign-in screen is shown: a note (signed out) or an error (a refused sign-in). */
interface SignInNote {
  readonly kind: 'info' | 'error';
  readonly text: string;
}

function showSignIn(config: ConsoleConfig, note?: SignInNote): void {
  if (config.mode === 'aws') showHostedSignIn(config, note);
  else showPasswordSignIn(config, note);
}

/** AWS mode: one button to the hosted UI (which offers the password and the identity providers). */
function showHostedSignIn(config: AwsConsoleConfig, note?: SignInNote): void {
  const status = h('div', { 'aria-live': 'polite' }, note && notice(note.kind, note.text));
  const button = h('button', { type: 'button' }, 'Sign in');
  button.addEventListener('click', () => {
    replace(status, notice('info', 'Opening the sign-in page…'));
    startHostedSignIn(config).catch((error: unknown) => replace(status, notice('error', errorText(error))));
  });
  replace(
    app,
    h(
      'main',
      { id: 'main', tabindex: '-1' },
      h(
        'section',
        { class: 'sign-in', 'aria-label': 'Sign in' },
        h('h1', {}, 'Sign in to staxid'),
        status,
        h('p', {}, "You sign in on your organization's sign-in page, then come back here."),
        button,
      ),
    ),
  );
  button.focus();
}

function showPasswordSignIn(config: LocalConsoleConfig, note?: SignInNote): void {
  const username = h('input', { type: 'text', autocomplete: 'username', required: true });
  const password = h('input', { type: 'password', autocomplete: 'current-password', required: true });
  const status = h('div', { 'aria-live': 'polite' }, note && notice(note.kind, note.text));
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

function showNewPassword(config: LocalConsoleConfig, username: string, challenge: string): void {
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
  config: LocalConsoleConfig,
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
  // Many calls may find the session over at once: the first one signs out, the others do nothing.
  let ended = false;
  // The person's own sign-out (no reason) revokes the refresh token first; a session the API
  // or the user pool ended has nothing left to revoke.
  const signOut = (reason?: string): void => {
    if (ended) return;
    ended = true;
    keeper.stop();
    forgetSession();
    window.removeEventListener('hashchange', onRoute);
    if (reason !== undefined) {
      showSignIn(config, { kind: 'info', text: reason });
      return;
    }
    replace(app, notice('info', 'Signing out…'));
    void revokeSession(config, keeper.current()).then(() => {
      if (config.mode === 'aws') signOutOfHostedUi(config);
      else showSignIn(config, { kind: 'info', text: 'You are signed out.' });
    });
  };
  const keeper = new SessionKeeper(config, session, () => signOut(SESSION_ENDED));
  const api = new Api(keeper, (reason) => signOut(reason));
  let me: Me;
  try {
    const { Users } = await api.get<{ Users: Me[] }>('/users/me');
    const found = Users[0];
    if (!found) throw new ApiError(404, 'staxid does not know your user: ask an administrator.');
    me = found;
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401)) signOut(errorText(error));
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
      h('button', { type: 'button', class: 'secondary', onclick: () => signOut() }, 'Sign out'),
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
