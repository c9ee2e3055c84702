import { ApiError } from '../api';
import type { PageContext } from '../context';
import { field, h, notice, replace, table } from '../dom';

/** A user as `GET /20190206/users` lists them. */
interface User {
  readonly Id: string;
  readonly Email: string;
  readonly FirstName: string;
  readonly LastName: string;
  readonly Role: string;
  readonly Status: string;
  readonly AuthOrigin?: string;
}

const ROLE_NAMES: Readonly<Record<string, string>> = {
  customer_admin: 'Admin',
  customer_user: 'User',
  customer_readonly: 'Read only',
  customer_costadmin: 'Cost admin',
};

const ORIGIN_NAMES: Readonly<Record<string, string>> = {
  idam: 'staxid',
  sso: 'identity provider (single sign-on)',
  scim: 'identity provider (SCIM)',
};

/** Users: everyone reads the list; only an Admin sees invite, deactivate, reactivate and resend. */
export async function usersPage(main: HTMLElement, context: PageContext): Promise<void> {
  const { Users: users } = await context.api.get<{ Users: User[] }>('/users');
  const status = h('div', { 'aria-live': 'polite' });
  const reload = (message: string): Promise<void> =>
    usersPage(main, context).then(() =>
      main.querySelector('[aria-live]')?.replaceChildren(notice('info', message)),
    );
  const act = async (action: () => Promise<unknown>, done: string): Promise<void> => {
    try {
      await action();
      await reload(done);
    } catch (error) {
      replace(status, notice('error', error instanceof ApiError ? error.message : String(error)));
    }
  };
  const headings = ['Name', 'Email', 'Role', 'Status', 'Managed by', ...(context.isAdmin ? ['Actions'] : [])];
  const rows = users.map((user) => [
    document.createTextNode(`${user.FirstName} ${user.LastName}`),
    document.createTextNode(user.Email),
    document.createTextNode(ROLE_NAMES[user.Role] ?? user.Role),
    h('span', { class: `status ${user.Status.toLowerCase()}` }, user.Status),
    document.createTextNode(originOf(user)),
    ...(context.isAdmin ? [userActions(context, user, act)] : []),
  ]);
  replace(
    main,
    h('h1', {}, 'Users'),
    status,
    context.isAdmin && inviteForm(context, act),
    table(`${users.length} users`, headings, rows),
  );
}

function originOf(user: User): string {
  const origin = user.AuthOrigin ?? 'idam';
  const name = ORIGIN_NAMES[origin] ?? origin;
  return origin === 'idam' ? name : `${name}: names, email and role are changed there`;
}

type Act = (action: () => Promise<unknown>, done: string) => Promise<void>;

function userActions(context: PageContext, user: User, act: Act): HTMLElement {
  const name = `${user.FirstName} ${user.LastName}`;
  const setStatus = (next: 'ACTIVE' | 'DISABLED', label: string, done: string): HTMLButtonElement =>
    h(
      'button',
      {
        type: 'button',
        class: 'secondary',
        'aria-label': `${label} ${name}`,
        onclick: () => void act(() => context.api.put(`/idam/user/${user.Id}`, { Status: next }), done),
      },
      label,
    );
  const isSelf = user.Id === context.me.Id;
  return h(
    'span',
    { class: 'actions' },
    !isSelf && user.Status !== 'DISABLED' && setStatus('DISABLED', 'Deactivate', `${name} is deactivated.`),
    user.Status === 'DISABLED' && setStatus('ACTIVE', 'Reactivate', `${name} is active again.`),
    user.Status === 'INVITED' &&
      h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          'aria-label': `Resend the invitation to ${name}`,
          onclick: () =>
            void act(
              () => context.api.put(`/idam/user/resend-invite/${user.Id}`, {}),
              `A new invitation is on its way to ${user.Email}.`,
            ),
        },
        'Resend invite',
      ),
  );
}

function inviteForm(context: PageContext, act: Act): HTMLElement {
  const email = h('input', { type: 'email', required: true, autocomplete: 'off' });
  const firstName = h('input', { type: 'text', required: true, autocomplete: 'off' });
  const lastName = h('input', { type: 'text', required: true, autocomplete: 'off' });
  const role = h(
    'select',
    {},
    ...Object.entries(ROLE_NAMES).map(([value, label]) =>
      h('option', { value, selected: value === 'customer_user' }, label),
    ),
  );
  const form = h(
    'form',
    { class: 'inline-form', 'aria-label': 'Invite a user' },
    h('h2', {}, 'Invite a user'),
    field('Email', email),
    field('First name', firstName),
    field('Last name', lastName),
    field('Role', role),
    h('button', { type: 'submit' }, 'Invite'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void act(
      () =>
        context.api.post('/idam/user', {
          Email: email.value.trim(),
          FirstName: firstName.value.trim(),
          LastName: lastName.value.trim(),
          Role: role.value,
        }),
      `${email.value.trim()} is invited: the invitation holds their username and a temporary password.`,
    );
  });
  return form;
}
