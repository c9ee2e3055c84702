import { ApiError } from '../api';
import type { PageContext } from '../context';
import { errorText, keepFocusIn, openDialog } from '../dialog';
import { field, h, notice, replace, table } from '../dom';

/** A group as `GET /20190206/groups` lists it. */
export interface Group {
  readonly Id: string;
  readonly Name: string;
  readonly Users: readonly string[];
  /** SCIM groups are kept by the identity provider: read-only here. */
  readonly GroupType?: string;
}

/** A user as `GET /20190206/users` lists them: the candidates for a group's members. */
interface Person {
  readonly Id: string;
  readonly Email: string;
  readonly FirstName: string;
  readonly LastName: string;
}

/** An account type, its accounts (staxid ids) and the roles its groups hold in them. */
interface AccountType {
  readonly Id: string;
  readonly Name: string;
  readonly Accounts?: readonly string[];
  readonly Roles?: ReadonlyArray<{ readonly GroupId: string; readonly RoleName: string }>;
}

/** An AWS account as `GET /20190206/accounts` lists it. */
interface Account {
  readonly Id: string;
  readonly Name: string;
  readonly AwsAccountId: string;
  readonly AccountType: string | null;
}

/** The built-in roles a group can hold in the accounts of a type (the API's RoleName). */
const ACCESS_ROLES: ReadonlyArray<{ readonly name: string; readonly label: string }> = [
  { name: 'admin', label: 'Admin' },
  { name: 'developer', label: 'Developer' },
  { name: 'readonly', label: 'Read only' },
];

/** Which live region of a page says what a change did: the page's, or the one of its form. */
type Where = 'page' | 'members' | 'matrix' | 'accounts';

/** Draws a page again after a change, says what it did (if anything) where it was done, keeps the focus. */
async function redrawWith(main: HTMLElement, draw: () => Promise<void>, message: string, where: Where) {
  await draw();
  if (message) main.querySelector(`[data-status="${where}"]`)?.replaceChildren(notice('info', message));
  keepFocusIn(main);
}

function statusRegion(where: Where): HTMLElement {
  return h('div', { 'aria-live': 'polite', 'data-status': where });
}

function fullName(person: Person): string {
  return `${person.FirstName} ${person.LastName}`;
}

/** Groups: names and members; an Admin creates, renames, deletes them and edits their members. */
export async function groupsPage(main: HTMLElement, context: PageContext): Promise<void> {
  await drawGroups(main, context);
}

async function drawGroups(main: HTMLElement, context: PageContext, membersOf?: string): Promise<void> {
  const [{ Groups: groups }, { Users: people }] = await Promise.all([
    context.api.get<{ Groups: Group[] }>('/groups'),
    context.api.get<{ Users: Person[] }>('/users'),
  ]);
  const byId = new Map(people.map((person) => [person.Id, person]));
  const status = statusRegion('page');
  const redraw = (message: string, where: Where, show?: string) =>
    redrawWith(main, () => drawGroups(main, context, show), message, where);
  const editable = (group: Group) => context.isAdmin && group.GroupType !== 'SCIM';
  const editing = groups.find((group) => group.Id === membersOf && editable(group));
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
      ['Name', 'Members', ...(context.isAdmin ? ['Actions'] : [])],
      groups.map((group) => [
        document.createTextNode(group.Name),
        document.createTextNode(memberNames(group, byId)),
        ...(context.isAdmin
          ? [
              editable(group)
                ? groupActions(context, group, memberNames(group, byId), (message, show) =>
                    redraw(message, 'page', show),
                  )
                : document.createTextNode('Kept by your identity provider (SCIM): change it there.'),
            ]
          : []),
      ]),
    ),
    editing && membersEditor(context, editing, people, (message) => redraw(message, 'members', editing.Id)),
  );
  if (editing) main.querySelector<HTMLElement>('#members-heading')?.focus();
}

function memberNames(group: Group, byId: ReadonlyMap<string, Person>): string {
  const names = group.Users.map((id) => {
    const person = byId.get(id);
    return person ? fullName(person) : id;
  });
  return names.length === 0 ? 'No members' : names.join(', ');
}

function groupActions(
  context: PageContext,
  group: Group,
  members: string,
  redraw: (message: string, show?: string) => Promise<void>,
): HTMLElement {
  const button = (label: string, name: string, onclick: () => void, danger = false) =>
    h(
      'button',
      { type: 'button', class: danger ? 'danger' : 'secondary', 'aria-label': name, onclick },
      label,
    );
  return h(
    'span',
    { class: 'actions' },
    button('Members', `Edit the members of ${group.Name}`, () => void redraw('', group.Id)),
    button('Rename', `Rename group ${group.Name}`, () =>
      renameThenRedraw(
        'group',
        group.Name,
        (name) => context.api.put(`/groups/${group.Id}`, { Name: name }),
        redraw,
      ),
    ),
    button(
      'Delete',
      `Delete group ${group.Name}`,
      () =>
        deleteThenRedraw(
          'group',
          group.Name,
          'The access it gives in account types goes with it. A group with members cannot be deleted: remove its members first.',
          withPlainRefusal(
            () => context.api.delete(`/groups/${group.Id}`),
            group.Users.length > 0 &&
              `${group.Name} still has ${count(group.Users.length, 'member')} (${members}): remove them with Members, then delete the group.`,
          ),
          redraw,
        ),
      true,
    ),
  );
}

/** The members of one group: remove each, or add a user who is not one yet. */
function membersEditor(
  context: PageContext,
  group: Group,
  people: readonly Person[],
  redraw: (message: string) => Promise<void>,
): HTMLElement {
  const status = statusRegion('members');
  const change = (body: unknown, done: string): void => {
    context.api.put('/groups/members', body).then(
      () => redraw(done),
      (error: unknown) => replace(status, notice('error', errorText(error))),
    );
  };
  const members = people.filter((person) => group.Users.includes(person.Id));
  const candidates = people.filter((person) => !group.Users.includes(person.Id));
  const candidate = h(
    'select',
    { id: 'field-new-member' },
    ...candidates.map((person) => h('option', { value: person.Id }, `${fullName(person)} (${person.Email})`)),
  );
  const addForm = h(
    'form',
    { class: 'inline-form', 'aria-label': `Add a member to ${group.Name}` },
    field('User to add', candidate),
    h('button', { type: 'submit' }, 'Add member'),
  );
  addForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const person = candidates.find((each) => each.Id === candidate.value);
    if (!person) return;
    change(
      { AddMembers: [{ UserId: person.Id, GroupId: group.Id }] },
      `${fullName(person)} is a member of ${group.Name}.`,
    );
  });
  const remove = (person: Person): HTMLElement =>
    h(
      'button',
      {
        type: 'button',
        class: 'secondary',
        'aria-label': `Remove ${fullName(person)} from ${group.Name}`,
        onclick: () =>
          change(
            { RemoveMembers: [{ UserId: person.Id, GroupId: group.Id }] },
            `${fullName(person)} is no longer a member of ${group.Name}.`,
          ),
      },
      'Remove',
    );
  return h(
    'section',
    { class: 'editor', 'aria-labelledby': 'members-heading' },
    h('h2', { id: 'members-heading', tabindex: '-1' }, `Members of ${group.Name}`),
    status,
    candidates.length > 0 ? addForm : h('p', {}, 'Every user is already a member.'),
    table(
      `${members.length} members of ${group.Name}`,
      ['Name', 'Email', 'Action'],
      members.map((person) => [
        document.createTextNode(fullName(person)),
        document.createTextNode(person.Email),
        remove(person),
      ]),
    ),
  );
}

/** Asks for a new name in a dialog and renames with it; the page then says what it did. */
async function renameThenRedraw(
  kind: string,
  current: string,
  rename: (name: string) => Promise<unknown>,
  redraw: (message: string) => Promise<void>,
): Promise<void> {
  const name = h('input', { type: 'text', required: true, autocomplete: 'off', value: current });
  const done = await openDialog({
    title: `Rename ${kind} ${current}`,
    content: [field('New name', name)],
    confirmLabel: 'Rename',
    action: () => rename(name.value.trim()),
  });
  if (done) await redraw(`The ${kind} ${current} is now called ${name.value.trim()}.`);
}

/**
 * The API refuses (400) to delete a group with members or an account type with accounts, in
 * an API's words; the page knows which members or accounts, and says so plainly instead.
 */
function withPlainRefusal(remove: () => Promise<unknown>, refusal: string | false): () => Promise<unknown> {
  return async () => {
    try {
      return await remove();
    } catch (error) {
      if (refusal && error instanceof ApiError && error.status === 400) throw new ApiError(400, refusal);
      throw error;
    }
  };
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** Deletes after a dialog naming the thing (the API's refusal shows there); the page then says so. */
async function deleteThenRedraw(
  kind: string,
  name: string,
  consequence: string,
  remove: () => Promise<unknown>,
  redraw: (message: string) => Promise<void>,
): Promise<void> {
  const done = await openDialog({
    title: `Delete ${kind} ${name}?`,
    content: [h('p', {}, consequence)],
    confirmLabel: `Delete ${name}`,
    danger: true,
    action: remove,
  });
  if (done) await redraw(`The ${kind} ${name} is deleted.`);
}

/**
 * Account types: an Admin creates, renames and deletes them, moves accounts between them and
 * edits the access matrix (which built-in roles each group holds in each type's accounts).
 */
export async function accountTypesPage(main: HTMLElement, context: PageContext): Promise<void> {
  const [{ AccountTypes: types }, { Groups: groups }, { Accounts: accounts }] = await Promise.all([
    context.api.get<{ AccountTypes: AccountType[] }>('/accounts/types'),
    context.api.get<{ Groups: Group[] }>('/groups'),
    context.api.get<{ Accounts: Account[] }>('/accounts'),
  ]);
  const status = statusRegion('page');
  const redraw = (message: string, where: Where) =>
    redrawWith(main, () => accountTypesPage(main, context), message, where);
  const accountNames = new Map(accounts.map((account) => [account.Id, account.Name]));
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
      `${types.length} account types`,
      ['Name', 'Accounts', ...(context.isAdmin ? ['Actions'] : [])],
      types.map((type) => {
        const held = (type.Accounts ?? []).map((id) => accountNames.get(id) ?? id).join(', ');
        return [
          document.createTextNode(type.Name),
          document.createTextNode(held || 'No accounts'),
          ...(context.isAdmin
            ? [accountTypeActions(context, type, held, (message) => redraw(message, 'page'))]
            : []),
        ];
      }),
    ),
    context.isAdmin
      ? accessMatrixForm(context, types, groups, (message) => redraw(message, 'matrix'))
      : accessMatrix(types, groups),
    accountsTable(context, accounts, types, (message) => redraw(message, 'accounts')),
  );
}

function accountTypeActions(
  context: PageContext,
  type: AccountType,
  accounts: string,
  redraw: (message: string) => Promise<void>,
): HTMLElement {
  const rename = () =>
    renameThenRedraw(
      'account type',
      type.Name,
      (name) => context.api.put(`/accounts/types/${type.Id}`, { Name: name }),
      redraw,
    );
  const remove = () =>
    deleteThenRedraw(
      'account type',
      type.Name,
      'The access it gives goes with it. An account type that still holds accounts cannot be deleted: move them to another type first.',
      withPlainRefusal(
        () => context.api.delete(`/accounts/types/${type.Id}`),
        (type.Accounts ?? []).length > 0 &&
          `${type.Name} still holds ${count((type.Accounts ?? []).length, 'account')} (${accounts}): move them to another account type under Accounts, then delete it.`,
      ),
      redraw,
    );
  return h(
    'span',
    { class: 'actions' },
    h(
      'button',
      {
        type: 'button',
        class: 'secondary',
        'aria-label': `Rename account type ${type.Name}`,
        onclick: rename,
      },
      'Rename',
    ),
    h(
      'button',
      { type: 'button', class: 'danger', 'aria-label': `Delete account type ${type.Name}`, onclick: remove },
      'Delete',
    ),
  );
}

const MATRIX_CAPTION = 'Access matrix: the role each group holds in the accounts of each type';

function rolesOf(type: AccountType, group: Group): string[] {
  return (type.Roles ?? []).filter((role) => role.GroupId === group.Id).map((role) => role.RoleName);
}

/** The matrix as text, for those who may only read it. */
function accessMatrix(types: readonly AccountType[], groups: readonly Group[]): HTMLElement {
  return table(
    MATRIX_CAPTION,
    ['Group', ...types.map((type) => type.Name)],
    groups.map((group) => [
      document.createTextNode(group.Name),
      ...types.map((type) => document.createTextNode(rolesOf(type, group).join(', ') || '—')),
    ]),
  );
}

/** One access a cell's checkbox stands for. */
interface Grant {
  readonly AccountTypeId: string;
  readonly GroupId: string;
  readonly RoleName: string;
}

/**
 * The matrix with a checkbox per built-in role in each cell (a group may hold several); Save
 * sends what changed as one all-or-nothing UpdateAccountTypeAccess.
 */
function accessMatrixForm(
  context: PageContext,
  types: readonly AccountType[],
  groups: readonly Group[],
  redraw: (message: string) => Promise<void>,
): HTMLElement {
  const status = statusRegion('matrix');
  const boxes: Array<{ box: HTMLInputElement; grant: Grant; held: boolean }> = [];
  const cell = (type: AccountType, group: Group): HTMLElement => {
    const held = rolesOf(type, group);
    return h(
      'span',
      { class: 'roles' },
      ...ACCESS_ROLES.map((role) => {
        const box = h('input', {
          type: 'checkbox',
          checked: held.includes(role.name),
          'aria-label': `${role.label} access for ${group.Name} on ${type.Name}`,
        });
        boxes.push({
          box,
          grant: { AccountTypeId: type.Id, GroupId: group.Id, RoleName: role.name },
          held: held.includes(role.name),
        });
        return h('label', {}, box, ` ${role.label}`);
      }),
    );
  };
  const form = h(
    'form',
    { class: 'matrix', 'aria-label': 'Access matrix' },
    table(
      MATRIX_CAPTION,
      ['Group', ...types.map((type) => type.Name)],
      groups.map((group) => [document.createTextNode(group.Name), ...types.map((type) => cell(type, group))]),
    ),
    status,
    h('button', { type: 'submit' }, 'Save access'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const added = boxes.filter(({ box, held }) => box.checked && !held).map(({ grant }) => grant);
    const removed = boxes.filter(({ box, held }) => !box.checked && held).map(({ grant }) => grant);
    if (added.length + removed.length === 0) {
      replace(status, notice('info', 'Nothing to save: no access is changed.'));
      return;
    }
    context.api.put('/accounts/types/access', { AddRoles: added, RemoveRoles: removed }).then(
      () => redraw(`Access is saved: ${added.length} given, ${removed.length} taken away.`),
      (error: unknown) => replace(status, notice('error', errorText(error))),
    );
  });
  return form;
}

/** Every account with its type; an Admin moves an account to another type. */
function accountsTable(
  context: PageContext,
  accounts: readonly Account[],
  types: readonly AccountType[],
  redraw: (message: string) => Promise<void>,
): HTMLElement {
  const status = statusRegion('accounts');
  const typeName = (id: string | null) => types.find((type) => type.Id === id)?.Name ?? 'No account type';
  const mover = (account: Account): HTMLElement => {
    const select = h(
      'select',
      { 'aria-label': `Account type of ${account.Name}` },
      account.AccountType === null &&
        h('option', { value: '', disabled: true, selected: true }, 'No account type'),
      ...types.map((type) =>
        h('option', { value: type.Id, selected: type.Id === account.AccountType }, type.Name),
      ),
    );
    const move = (): void => {
      if (select.value === '' || select.value === account.AccountType) {
        replace(status, notice('info', `${account.Name} is already in ${typeName(select.value || null)}.`));
        return;
      }
      context.api
        .put('/account-types/members', { Members: [{ AccountId: account.Id, AccountTypeId: select.value }] })
        .then(
          () => redraw(`${account.Name} is now in ${typeName(select.value)}.`),
          (error: unknown) => replace(status, notice('error', errorText(error))),
        );
    };
    return h(
      'span',
      { class: 'actions' },
      select,
      h(
        'button',
        { type: 'button', class: 'secondary', 'aria-label': `Move ${account.Name}`, onclick: move },
        'Move',
      ),
    );
  };
  return h(
    'section',
    { 'aria-labelledby': 'accounts-heading' },
    h('h2', { id: 'accounts-heading' }, 'Accounts'),
    status,
    table(
      `${accounts.length} accounts and their account type`,
      ['Account', 'AWS account id', 'Account type'],
      accounts.map((account) => [
        document.createTextNode(account.Name),
        document.createTextNode(account.AwsAccountId),
        context.isAdmin && types.length > 0
          ? mover(account)
          : document.createTextNode(typeName(account.AccountType)),
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
      (error: unknown) => replace(status, notice('error', errorText(error))),
    );
  });
  return form;
}
