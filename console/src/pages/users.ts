import type { PageContext } from '../context';
import { errorText, keepFocusIn, openDialog } from '../dialog';
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

/**
 * Users: everyone reads the list; only an Admin sees invite, edit, deactivate, reactivate,
 * resend and delete. Users of an identity provider keep their names and role there.
 */
export async function usersPage(main: HTMLElement, context: PageContext): Promise<void> {
  const { Users: users } = await context.api.get<{ Users: User[] }>('/users');
  const status = h('div', { 'aria-live': 'polite' });
  const reload = async (message: string): Promise<void> => {
    await usersPage(main, context);
    main.querySelector('[aria-live]')?.replaceChildren(notice('info', message));
    keepFocusIn(main);
  };
  const act: Act = async (action, done) => {
    try {
      if (await action()) await reload(done);
    } catch (error) {
      replace(status, notice('error', errorText(error)));
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

/** Runs a change, then draws the page again with `done`; an action answering false changed nothing. */
type Act = (action: () => Promise<unknown>, done: string) => Promise<void>;

function isLocal(user: User): boolean {
  return (user.AuthOrigin ?? 'idam') === 'idam';
}

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
  const editable = isLocal(user) && user.Status !== 'DISABLED';
  return h(
    'span',
    { class: 'actions' },
    editable &&
      h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          'aria-label': `Edit ${name}`,
          onclick: () => void act(() => editUser(context, user), `${user.Email} is updated.`),
        },
        'Edit',
      ),
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
    !isSelf &&
      isLocal(user) &&
      h(
        'button',
        {
          type: 'button',
          class: 'danger',
          'aria-label': `Delete ${name}`,
          onclick: () => void act(() => deleteUser(context, user, name), `${name} is deleted.`),
        },
        'Delete',
      ),
  );
}

/** The names and role of a staxid user (a DISABLED user is reactivated first: the API says so). */
function editUser(context: PageContext, user: User): Promise<boolean> {
  // Ids of their own: the invite form's fields have the same labels.
  const text = (id: string, value: string) =>
    h('input', { id, type: 'text', required: true, autocomplete: 'off', value });
  const firstName = text('edit-first-name', user.FirstName);
  const lastName = text('edit-last-name', user.LastName);
  const role = roleSelect(user.Role);
  role.id = 'edit-role';
  return openDialog({
    title: `Edit ${user.FirstName} ${user.LastName}`,
    content: [
      h('p', {}, user.Email),
      field('First name', firstName),
      field('Last name', lastName),
      field('Role', role),
    ],
    confirmLabel: 'Save',
    action: () =>
      context.api.put(`/idam/user/${user.Id}`, {
        FirstName: firstName.value.trim(),
        LastName: lastName.value.trim(),
        Role: role.value,
      }),
  });
}

function deleteUser(context: PageContext, user: User, name: string): Promise<boolean> {
  return openDialog({
    title: `Delete ${name}?`,
    content: [
      h(
        'p',
        {},
        `${name} (${user.Email}) will no longer sign in and leaves every group. This cannot be undone: to bring them back, invite them again.`,
      ),
    ],
    confirmLabel: `Delete ${name}`,
    danger: true,
    action: () => context.api.delete(`/users/${user.Id}`),
  });
}

function roleSelect(selected: string): HTMLSelectElement {
  return h(
    'select',
    {},
    ...Object.entries(ROLE_NAMES).map(([value, label]) =>
      h('option', { value, selected: value === selected }, label),
    ),
  );
}

function inviteForm(context: PageContext, act: Act): HTMLElement {
  const email = h('input', { type: 'email', required: true, autocomplete: 'off' });
  const firstName = h('input', { type: 'text', required: true, autocomplete: 'off' });
  const lastName = h('input', { type: 'text', required: true, autocomplete: 'off' });
  const role = roleSelect('customer_user');
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
