import { ApiError } from '../api';
import type { PageContext } from '../context';
import { field, h, notice, replace, table } from '../dom';

/** A group as `GET /20190206/groups` lists it. */
export interface Group {
  readonly Id: string;
  readonly Name: string;
  readonly Users: readonly string[];
}

/** An account type and the roles its groups hold in its accounts. */
interface AccountType {
  readonly Id: string;
  readonly Name: string;
  readonly Roles?: ReadonlyArray<{ readonly GroupId: string; readonly RoleName: string }>;
}

/** Groups: names and member counts; an Admin creates them. */
export async function groupsPage(main: HTMLElement, context: PageContext): Promise<void> {
  const { Groups: groups } = await context.api.get<{ Groups: Group[] }>('/groups');
  const status = h('div', { 'aria-live': 'polite' });
  replace(
    main,
    h('h1', {}, 'Groups'),
    status,
    context.isAdmin &&
      createForm('Create a group', 'Group name', status, async (name) => {
        await context.api.post('/groups', { Name: name });
        await groupsPage(main, context);
        return `Group ${name} is created.`;
      }),
    table(
      `${groups.length} groups`,
      ['Name', 'Members'],
      groups.map((group) => [
        document.createTextNode(group.Name),
        document.createTextNode(String(group.Users.length)),
      ]),
    ),
  );
}

/** Account types, with the access matrix: which role each group holds in each type's accounts. */
export async function accountTypesPage(main: HTMLElement, context: PageContext): Promise<void> {
  const [{ AccountTypes: types }, { Groups: groups }] = await Promise.all([
    context.api.get<{ AccountTypes: AccountType[] }>('/accounts/types'),
    context.api.get<{ Groups: Group[] }>('/groups'),
  ]);
  const status = h('div', { 'aria-live': 'polite' });
  const rolesOf = (type: AccountType, group: Group): string =>
    (type.Roles ?? [])
      .filter((role) => role.GroupId === group.Id)
      .map((role) => role.RoleName)
      .join(', ') || '—';
  replace(
    main,
    h('h1', {}, 'Account types'),
    status,
    context.isAdmin &&
      createForm('Create an account type', 'Account type name', status, async (name) => {
        await context.api.post('/accounts/types', { Name: name });
        await accountTypesPage(main, context);
        return `Account type ${name} is created.`;
      }),
    table(
      'Access matrix: the role each group holds in the accounts of each type',
      ['Group', ...types.map((type) => type.Name)],
      groups.map((group) => [
        document.createTextNode(group.Name),
        ...types.map((type) => document.createTextNode(rolesOf(type, group))),
      ]),
    ),
  );
}

/** A one-field form whose action reports what it did, or why it could not. */
function createForm(
  title: string,
  label: string,
  status: HTMLElement,
  create: (name: string) => Promise<string>,
): HTMLElement {
  const name = h('input', { type: 'text', required: true, autocomplete: 'off' });
  const form = h(
    'form',
    { class: 'inline-form', 'aria-label': title },
    h('h2', {}, title),
    field(label, name),
    h('button', { type: 'submit' }, 'Create'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    create(name.value.trim()).then(
      (message) => document.querySelector('main [aria-live]')?.replaceChildren(notice('info', message)),
      (error: unknown) =>
        replace(status, notice('error', error instanceof ApiError ? error.message : String(error))),
    );
  });
  return form;
}
