import type { Api } from '../api';
import type { PageContext } from '../context';
import { errorText, openDialog } from '../dialog';
import { field, h, notice, replace, table } from '../dom';
import type { Group } from './groups';

/**
 * Permission sets (the /20210321 API, ADR 0017/0018): everyone reads them and their
 * deployment status per account; only an Admin creates, edits, deletes, assigns, removes
 * and redeploys (the API refuses anyone else, so nobody else is offered those controls).
 */

const BASE = '/20210321/permission-sets';

/** Stax's limits the form checks before sending (the API checks them again). */
const MAX_MANAGED_POLICIES = 10;
const MAX_INLINE_POLICIES = 10;
const MAX_SESSION_HOURS = 12;

/** How often the detail view asks again while a deployment is still moving. */
const POLL_MS = 3000;

/** The spec's PermissionSetRecord. */
interface PermissionSet {
  readonly Id: string;
  readonly Name: string;
  readonly Description?: string;
  readonly AWSManagedPolicies: ReadonlyArray<{ readonly PolicyArn: string }>;
  readonly InlinePolicies: ReadonlyArray<{ readonly Name: string; readonly Policy: string }>;
  readonly MaxSessionDuration: number;
  readonly Tags?: Readonly<Record<string, string>>;
  readonly Status: string;
}

/** The spec's AssignmentRecord. */
interface Assignment {
  readonly Id: string;
  readonly AccountTypeId: string;
  readonly GroupId: string;
  readonly Status: string;
}

/** One account's deployment of one assignment (ListPermissionSetDeployments). */
interface Deployment {
  readonly AssignmentId: string;
  readonly AwsAccountId: string;
  readonly Status: string;
  readonly StatusReason?: string;
}

interface ManagedPolicy {
  readonly PolicyName: string;
  readonly Arn: string;
}

interface Account {
  readonly Name: string;
  readonly AwsAccountId: string;
  readonly Status: string;
  readonly AccountType: string | null;
}

interface AccountType {
  readonly Id: string;
  readonly Name: string;
}

/** A paged list of the permission-sets API, every page of it (pages as long as the API makes them: ListRoles takes no `limit`). */
async function allPages<T>(api: Api, path: string, key: string): Promise<T[]> {
  const records: T[] = [];
  let token: string | undefined;
  do {
    const query = token === undefined ? '' : `?page_token=${encodeURIComponent(token)}`;
    const page = await api.get<Record<string, unknown> & { Paging?: { NextToken?: string } }>(
      `${path}${query}`,
    );
    records.push(...((page[key] as T[] | undefined) ?? []));
    token = page.Paging?.NextToken;
  } while (token !== undefined);
  return records;
}

function hours(seconds: number): string {
  const count = Math.round(seconds / 3600);
  return count === 1 ? '1 hour' : `${count} hours`;
}

/** Requested or in progress: the deployment engine has not finished with it yet. */
function isMoving(status: string): boolean {
  return status.endsWith('_REQUESTED') || status.endsWith('_IN_PROGRESS');
}

function statusBadge(status: string): HTMLElement {
  return h('span', { class: `status ${status.toLowerCase()}` }, status);
}

/** The list of permission sets, searchable by name; an Admin also creates, edits and deletes. */
export async function permissionSetsPage(main: HTMLElement, context: PageContext): Promise<void> {
  const [sets, policies] = await Promise.all([
    allPages<PermissionSet>(context.api, BASE, 'PermissionSets'),
    context.isAdmin
      ? context.api
          .get<{ AWSManagedPolicies: ManagedPolicy[] }>(`${BASE}/aws-managed-policies`)
          .then((body) => body.AWSManagedPolicies)
      : Promise.resolve([]),
  ]);
  const status = h('div', { 'aria-live': 'polite' });
  const reload = (message: string): Promise<void> =>
    permissionSetsPage(main, context).then(() =>
      main.querySelector('[aria-live]')?.replaceChildren(notice('info', message)),
    );
  const search = h('input', { type: 'search', autocomplete: 'off', placeholder: 'Name' });
  const results = h('div', {});
  const formSlot = h('div', {});
  const showCreate = (): void =>
    replace(formSlot, permissionSetForm(context, policies, undefined, reload, showCreate));
  const render = (): void => {
    const term = search.value.trim().toLowerCase();
    const shown = sets.filter((set) => set.Name.toLowerCase().includes(term));
    replace(
      results,
      table(
        `${shown.length} of ${sets.length} permission sets`,
        ['Name', 'Description', 'Policies', 'Longest session', 'Status', 'Actions'],
        shown.map((set) => [
          document.createTextNode(set.Name),
          document.createTextNode(set.Description ?? ''),
          document.createTextNode(
            `${set.AWSManagedPolicies.length} AWS managed, ${set.InlinePolicies.length} inline`,
          ),
          document.createTextNode(hours(set.MaxSessionDuration)),
          statusBadge(set.Status),
          setActions(main, context, set, {
            edit: () => replace(formSlot, permissionSetForm(context, policies, set, reload, showCreate)),
            remove: () =>
              confirmRemoval(`Delete the permission set ${set.Name}? This cannot be undone.`, {
                label: `Yes, delete ${set.Name}`,
                run: () => context.api.delete(`${BASE}/${set.Id}`),
                done: (message) => reload(message),
                message: `Permission set ${set.Name} is deleted.`,
              }),
          }),
        ]),
      ),
    );
  };
  search.addEventListener('input', render);
  replace(
    main,
    h('h1', {}, 'Permission sets'),
    status,
    context.isAdmin && formSlot,
    field('Search permission sets by name', search),
    results,
  );
  if (context.isAdmin) showCreate();
  render();
}

interface SetHandlers {
  readonly edit: () => void;
  readonly remove: () => void;
}

function setActions(
  main: HTMLElement,
  context: PageContext,
  set: PermissionSet,
  handlers: SetHandlers,
): HTMLElement {
  const button = (label: string, ariaLabel: string, onclick: () => void, secondary = true) =>
    h(
      'button',
      { type: 'button', class: secondary ? 'secondary' : undefined, 'aria-label': ariaLabel, onclick },
      label,
    );
  const editable = context.isAdmin && set.Status === 'ACTIVE';
  return h(
    'span',
    { class: 'actions' },
    button('Details', `Details of ${set.Name}`, () => void showDetail(main, context, set), false),
    editable && button('Edit', `Edit ${set.Name}`, handlers.edit),
    editable && button('Delete', `Delete ${set.Name}`, handlers.remove),
  );
}

interface Confirmation {
  readonly label: string;
  readonly run: () => Promise<unknown>;
  readonly done: (message: string) => Promise<void>;
  readonly message: string;
}

/**
 * Asks before an action that cannot be undone, in the console's one confirmation dialog
 * (console/src/dialog.ts); the question names what it removes, a refusal is shown in it.
 */
function confirmRemoval(question: string, confirmation: Confirmation): void {
  void openDialog({
    title: question,
    content: [],
    confirmLabel: confirmation.label,
    danger: true,
    action: confirmation.run,
  }).then((done) => (done ? confirmation.done(confirmation.message) : undefined));
}

/**
 * The create form, or the edit form of `existing` (its name cannot change: it names the role
 * in every account). Inline policies are checked as JSON here, before anything is sent.
 */
function permissionSetForm(
  context: PageContext,
  policies: readonly ManagedPolicy[],
  existing: PermissionSet | undefined,
  reload: (message: string) => Promise<void>,
  cancelEdit: () => void,
): HTMLElement {
  const title = existing ? `Edit ${existing.Name}` : 'Create a permission set';
  const errors = h('div', { 'aria-live': 'polite', class: 'form-errors' });
  const name = h('input', { type: 'text', required: true, autocomplete: 'off', value: existing?.Name });
  name.disabled = existing !== undefined;
  const description = h('input', { type: 'text', autocomplete: 'off', value: existing?.Description });
  const sessionHours = h('input', {
    type: 'number',
    min: '1',
    max: String(MAX_SESSION_HOURS),
    step: '1',
    required: true,
    value: String(existing ? Math.round(existing.MaxSessionDuration / 3600) : 1),
  });
  const managed = managedPolicyPicker(policies, existing?.AWSManagedPolicies.map((p) => p.PolicyArn) ?? []);
  const inline = inlinePolicyEditor(existing?.InlinePolicies ?? []);
  const tags = h('textarea', { rows: '2', autocomplete: 'off', placeholder: 'team=data' });
  tags.value = Object.entries(existing?.Tags ?? {})
    .map(([key, value]) => `${key}=${value}`)
    .join('\n');
  const controls: Readonly<Record<string, HTMLElement>> = {
    Name: name,
    Description: description,
    MaxSessionDuration: sessionHours,
    AWSManagedPolicies: managed.element,
    Tags: tags,
  };
  const form = h(
    'form',
    { class: 'stacked-form', 'aria-label': title, novalidate: true },
    h('h2', {}, title),
    errors,
    field('Permission set name', name),
    field('Description', description),
    field(`Longest session (hours, 1 to ${MAX_SESSION_HOURS})`, sessionHours),
    managed.element,
    inline.element,
    textField('Tags (optional, one key=value a line)', tags),
    h(
      'span',
      { class: 'actions' },
      h('button', { type: 'submit' }, existing ? 'Save changes' : 'Create permission set'),
      existing && h('button', { type: 'button', class: 'secondary', onclick: cancelEdit }, 'Cancel'),
    ),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    for (const control of form.querySelectorAll('[aria-invalid]')) control.removeAttribute('aria-invalid');
    const problem = (message: string, control?: HTMLElement): void => {
      control?.setAttribute('aria-invalid', 'true');
      replace(errors, notice('error', message));
    };
    let body: Record<string, unknown>;
    try {
      body = {
        ...(!existing && { Name: required(name, 'Permission set name') }),
        ...(description.value.trim() && { Description: description.value.trim() }),
        MaxSessionDuration: sessionSeconds(sessionHours),
        AWSManagedPolicies: managed.chosen().map((arn) => ({ PolicyArn: arn })),
        InlinePolicies: inline.policies(),
        Tags: parseTags(tags),
      };
    } catch (error) {
      if (error instanceof FormError) problem(error.message, error.control);
      else throw error;
      return;
    }
    const send = existing ? context.api.put(`${BASE}/${existing.Id}`, body) : context.api.post(BASE, body);
    const done = existing
      ? `Permission set ${existing.Name} is saved: its assignments are deployed again.`
      : `Permission set ${String(body.Name)} is created.`;
    replace(errors, notice('info', existing ? 'Saving…' : 'Creating…'));
    send
      .then(() => reload(done))
      .catch((error: unknown) => {
        const message = errorText(error);
        problem(inWords(message), controlNamed(message, controls, inline.rows()));
      });
  });
  return form;
}

/** A problem the form finds before sending, with the control to fix. */
class FormError extends Error {
  constructor(
    message: string,
    readonly control: HTMLElement,
  ) {
    super(message);
  }
}

function required(input: HTMLInputElement, label: string): string {
  const value = input.value.trim();
  if (value === '') throw new FormError(`${label} is required: type one.`, input);
  return value;
}

function sessionSeconds(input: HTMLInputElement): number {
  const value = Number(input.value);
  if (!Number.isInteger(value) || value < 1 || value > MAX_SESSION_HOURS) {
    throw new FormError(
      `The longest session must be a whole number of hours from 1 to ${MAX_SESSION_HOURS}.`,
      input,
    );
  }
  return value * 3600;
}

function parseTags(input: HTMLTextAreaElement): Record<string, string> {
  const lines = input.value
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const tags: Record<string, string> = {};
  for (const line of lines) {
    const at = line.indexOf('=');
    if (at < 1) throw new FormError(`The tag line "${line}" is not key=value: write one tag a line.`, input);
    tags[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return tags;
}

/** "Body.InlinePolicies[0].Policy: is not valid JSON" → "Inline policy 1, policy: is not valid JSON". */
function inWords(message: string): string {
  return message
    .replace(
      /Body\.InlinePolicies\[(\d+)\]\.?/g,
      (_, index: string) => `Inline policy ${Number(index) + 1}, `,
    )
    .replace(
      /Body\.AWSManagedPolicies\[(\d+)\]\.?/g,
      (_, index: string) => `AWS managed policy ${Number(index) + 1}, `,
    )
    .replace(/Body\.Name/g, 'Permission set name')
    .replace(/Body\.MaxSessionDuration/g, 'Longest session')
    .replace(/Body\./g, '')
    .replace(/, :/g, ':');
}

/** The control a 400's field names (`Body.Name`, `Body.InlinePolicies[1].Policy`, ...). */
function controlNamed(
  message: string,
  controls: Readonly<Record<string, HTMLElement>>,
  inlineRows: readonly InlineRow[],
): HTMLElement | undefined {
  const inline = /Body\.InlinePolicies\[(\d+)\]\.?(Name)?/.exec(message);
  if (inline) {
    const row = inlineRows[Number(inline[1])];
    return inline[2] === 'Name' ? row?.name : row?.policy;
  }
  const named = /Body\.(\w+)/.exec(message)?.[1];
  return named === undefined ? undefined : controls[named];
}

/** A textarea with its label, as `field` does for inputs. */
function textField(label: string, input: HTMLTextAreaElement): HTMLElement {
  input.id ||= `field-${label.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  return h('div', { class: 'field' }, h('label', { for: input.id }, label), input);
}

/** A filterable list of checkboxes, one per AWS managed policy; at most ten may be chosen. */
function managedPolicyPicker(policies: readonly ManagedPolicy[], chosen: readonly string[]) {
  const filter = h('input', { type: 'search', autocomplete: 'off', placeholder: 'ReadOnly' });
  const count = h('p', { class: 'muted', 'aria-live': 'polite' });
  const boxes = policies.map((policy) => {
    const box = h('input', { type: 'checkbox', value: policy.Arn, checked: chosen.includes(policy.Arn) });
    return { policy, box, label: h('label', { class: 'check' }, box, ` ${policy.PolicyName}`) };
  });
  const checked = (): string[] => boxes.filter(({ box }) => box.checked).map(({ box }) => box.value);
  const update = (): void => {
    const term = filter.value.trim().toLowerCase();
    for (const { policy, box, label } of boxes) {
      label.hidden = !box.checked && !policy.PolicyName.toLowerCase().includes(term);
    }
    count.textContent = `${checked().length} of at most ${MAX_MANAGED_POLICIES} chosen`;
  };
  filter.addEventListener('input', update);
  for (const { box } of boxes) box.addEventListener('change', update);
  const element = h(
    'fieldset',
    { class: 'policy-picker' },
    h('legend', {}, 'AWS managed policies'),
    field('Filter AWS managed policies', filter),
    count,
    h('div', { class: 'checks' }, ...boxes.map(({ label }) => label)),
  );
  update();
  return {
    element,
    chosen: (): string[] => {
      const arns = checked();
      if (arns.length > MAX_MANAGED_POLICIES) {
        throw new FormError(
          `${arns.length} AWS managed policies are chosen; a permission set holds at most ${MAX_MANAGED_POLICIES}: clear some.`,
          element,
        );
      }
      return arns;
    },
  };
}

interface InlineRow {
  readonly name: HTMLInputElement;
  readonly policy: HTMLTextAreaElement;
  readonly element: HTMLElement;
}

/** Inline policies: a name and a JSON policy document each, at most ten. */
function inlinePolicyEditor(initial: ReadonlyArray<{ readonly Name: string; readonly Policy: string }>) {
  const rows: InlineRow[] = [];
  const list = h('div', {});
  const add = h('button', { type: 'button', class: 'secondary' }, 'Add an inline policy');
  const renumber = (): void => {
    rows.forEach((row, index) => {
      const number = index + 1;
      const [nameLabel, policyLabel] = Array.from(row.element.querySelectorAll('label'));
      if (nameLabel) nameLabel.textContent = `Inline policy ${number} name`;
      if (policyLabel) policyLabel.textContent = `Inline policy ${number} (JSON)`;
      row.element.querySelector('button')?.setAttribute('aria-label', `Remove inline policy ${number}`);
    });
    add.hidden = rows.length >= MAX_INLINE_POLICIES;
  };
  const addRow = (policy?: { readonly Name: string; readonly Policy: string }): void => {
    const id = `inline-${Math.random().toString(36).slice(2)}`;
    const name = h('input', { type: 'text', autocomplete: 'off', id: `${id}-name`, value: policy?.Name });
    const text = h('textarea', { rows: '6', spellcheck: 'false', id: `${id}-policy` });
    text.value = policy ? prettyJson(policy.Policy) : '';
    const element = h(
      'div',
      { class: 'inline-policy' },
      h('div', { class: 'field' }, h('label', { for: name.id }), name),
      h('div', { class: 'field' }, h('label', { for: text.id }), text),
    );
    const row: InlineRow = { name, policy: text, element };
    element.appendChild(
      h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          onclick: () => {
            rows.splice(rows.indexOf(row), 1);
            element.remove();
            renumber();
          },
        },
        'Remove',
      ),
    );
    rows.push(row);
    list.appendChild(element);
    renumber();
    name.focus();
  };
  add.addEventListener('click', () => addRow());
  for (const policy of initial) addRow(policy);
  renumber();
  return {
    element: h('fieldset', { class: 'inline-policies' }, h('legend', {}, 'Inline policies'), list, add),
    rows: (): readonly InlineRow[] => rows,
    policies: () => rows.map((row, index) => inlinePolicy(row, index + 1)),
  };
}

function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** One inline policy as the API takes it, its JSON checked here so that a typo is not sent. */
function inlinePolicy(row: InlineRow, number: number): { Name: string; Policy: string } {
  const name = row.name.value.trim();
  if (name === '') throw new FormError(`Inline policy ${number} needs a name.`, row.name);
  let document: unknown;
  try {
    document = JSON.parse(row.policy.value);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new FormError(
      `Inline policy ${number} (${name}) is not valid JSON (${reason}): fix the policy document before saving.`,
      row.policy,
    );
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new FormError(
      `Inline policy ${number} (${name}) must be a JSON object with "Version" and "Statement".`,
      row.policy,
    );
  }
  return { Name: name, Policy: JSON.stringify(document) };
}

/** What the detail view shows: the assignments and the accounts they deploy to. */
interface Detail {
  readonly assignments: readonly Assignment[];
  readonly deployments: readonly Deployment[];
  readonly accounts: readonly Account[];
  readonly types: readonly AccountType[];
  readonly groups: readonly Group[];
}

async function loadDetail(api: Api, set: PermissionSet): Promise<Detail> {
  const [
    assignments,
    { Deployments: deployments },
    { Accounts: accounts },
    { AccountTypes: types },
    { Groups: groups },
  ] = await Promise.all([
    allPages<Assignment>(api, `${BASE}/${set.Id}/assignments`, 'Assignments'),
    api.get<{ Deployments: Deployment[] }>(`${BASE}/${set.Id}/deployments`),
    api.get<{ Accounts: Account[] }>('/accounts'),
    api.get<{ AccountTypes: AccountType[] }>('/accounts/types'),
    api.get<{ Groups: Group[] }>('/groups'),
  ]);
  return { assignments, deployments, accounts, types, groups };
}

/** An account the engine has not reached yet (it joined the account type since) is still to deploy. */
function accountStatus(deployment: Deployment | undefined): string {
  return deployment?.Status ?? 'CREATE_REQUESTED';
}

/** The accounts an assignment deploys to: the ACTIVE accounts of its account type. */
function accountsOf(detail: Detail, assignment: Assignment): Account[] {
  return detail.accounts.filter(
    (account) => account.AccountType === assignment.AccountTypeId && account.Status === 'ACTIVE',
  );
}

/**
 * A permission set's assignments and each account's deployment status, asked again every
 * few seconds while a deployment is requested or in progress, until the view is left.
 */
async function showDetail(main: HTMLElement, context: PageContext, set: PermissionSet): Promise<void> {
  const status = h('div', { 'aria-live': 'polite' });
  const body = h('div', {});
  const view = h(
    'section',
    { class: 'detail', 'aria-label': `Permission set ${set.Name}` },
    h(
      'button',
      { type: 'button', class: 'secondary', onclick: () => void permissionSetsPage(main, context) },
      'Back to all permission sets',
    ),
    h('h1', {}, `Permission set ${set.Name}`),
    summary(set),
    status,
    body,
  );
  let timer: number | undefined;
  const refresh = async (message?: string): Promise<void> => {
    window.clearTimeout(timer);
    if (!view.isConnected) return;
    let detail: Detail;
    try {
      detail = await loadDetail(context.api, set);
    } catch (error) {
      replace(status, notice('error', errorText(error)));
      return;
    }
    if (!view.isConnected) return;
    renderDetail(body, context, set, detail, status, refresh);
    if (message) replace(status, notice('info', message));
    const moving = detail.assignments.some(
      (assignment) =>
        isMoving(assignment.Status) ||
        accountsOf(detail, assignment).some((account) =>
          isMoving(accountStatus(deploymentIn(detail, assignment, account))),
        ),
    );
    if (moving) timer = window.setTimeout(() => void refresh(), POLL_MS);
  };
  replace(main, view);
  await refresh();
  main.focus();
}

function deploymentIn(detail: Detail, assignment: Assignment, account: Account): Deployment | undefined {
  return detail.deployments.find(
    (deployment) =>
      deployment.AssignmentId === assignment.Id && deployment.AwsAccountId === account.AwsAccountId,
  );
}

function summary(set: PermissionSet): HTMLElement {
  const managed = set.AWSManagedPolicies.map((policy) => policy.PolicyArn.split('/').pop() ?? '');
  return h(
    'dl',
    { class: 'summary' },
    h('dt', {}, 'Description'),
    h('dd', {}, set.Description ?? '—'),
    h('dt', {}, 'AWS managed policies'),
    h('dd', {}, managed.join(', ') || '—'),
    h('dt', {}, 'Inline policies'),
    h('dd', {}, set.InlinePolicies.map((policy) => policy.Name).join(', ') || '—'),
    h('dt', {}, 'Longest session'),
    h('dd', {}, hours(set.MaxSessionDuration)),
    h('dt', {}, 'Status'),
    h('dd', {}, set.Status),
  );
}

type Refresh = (message?: string) => Promise<void>;

function renderDetail(
  body: HTMLElement,
  context: PageContext,
  set: PermissionSet,
  detail: Detail,
  status: HTMLElement,
  refresh: Refresh,
): void {
  const typeName = (id: string) => detail.types.find((type) => type.Id === id)?.Name ?? id;
  const groupName = (id: string) => detail.groups.find((group) => group.Id === id)?.Name ?? id;
  const live = detail.assignments.filter((assignment) => assignment.Status !== 'DELETE_COMPLETE');
  replace(
    body,
    h(
      'span',
      { class: 'actions' },
      h(
        'button',
        { type: 'button', class: 'secondary', onclick: () => void refresh('Refreshed.') },
        'Refresh',
      ),
    ),
    context.isAdmin && set.Status === 'ACTIVE' && assignForm(context, set, detail, status, refresh),
    live.length === 0 &&
      notice('info', 'This permission set is not assigned yet: no account holds its role.'),
    ...live.map((assignment) => {
      const where = `${groupName(assignment.GroupId)} on ${typeName(assignment.AccountTypeId)}`;
      return h(
        'section',
        { class: 'assignment', 'aria-label': `Assignment ${where}` },
        h('h2', {}, `Assigned to ${where}: `, statusBadge(assignment.Status)),
        context.isAdmin && assignmentActions(context, set, assignment, where, status, refresh),
        deploymentsTable(detail, assignment, where),
      );
    }),
  );
}

function deploymentsTable(detail: Detail, assignment: Assignment, where: string): HTMLElement {
  const accounts = accountsOf(detail, assignment);
  if (accounts.length === 0) {
    return notice('info', `The account type has no active account yet: nothing to deploy for ${where}.`);
  }
  return table(
    `Deployment to each account of ${where}`,
    ['Account', 'Status', 'Message'],
    accounts.map((account) => {
      const deployment = deploymentIn(detail, assignment, account);
      const state = accountStatus(deployment);
      return [
        h('span', {}, `${account.Name} `, h('span', { class: 'muted' }, account.AwsAccountId)),
        statusBadge(state),
        document.createTextNode(state.endsWith('_FAILED') ? (deployment?.StatusReason ?? '') : ''),
      ];
    }),
  );
}

function assignmentActions(
  context: PageContext,
  set: PermissionSet,
  assignment: Assignment,
  where: string,
  status: HTMLElement,
  refresh: Refresh,
): HTMLElement | false {
  if (assignment.Status.startsWith('DELETE_')) return false;
  const path = `${BASE}/${set.Id}/assignments/${assignment.Id}`;
  const act = (run: () => Promise<unknown>, done: string): void => {
    run()
      .then(() => refresh(done))
      .catch((error: unknown) => replace(status, notice('error', errorText(error))));
  };
  return h(
    'span',
    { class: 'actions' },
    h(
      'button',
      {
        type: 'button',
        class: 'secondary',
        'aria-label': `Redeploy ${set.Name} to ${where}`,
        onclick: () =>
          act(
            () => context.api.put(path, {}),
            `${set.Name} is deployed again to ${where}: each account's status is shown below.`,
          ),
      },
      'Redeploy',
    ),
    h(
      'button',
      {
        type: 'button',
        class: 'secondary',
        'aria-label': `Remove the assignment to ${where}`,
        onclick: () =>
          confirmRemoval(`Remove ${set.Name} from ${where}? Its role is deleted from those accounts.`, {
            label: `Yes, remove it from ${where}`,
            run: () => context.api.delete(path),
            done: (message) => refresh(message),
            message: `${set.Name} is being removed from ${where}.`,
          }),
      },
      'Remove',
    ),
  );
}

function assignForm(
  context: PageContext,
  set: PermissionSet,
  detail: Detail,
  status: HTMLElement,
  refresh: Refresh,
): HTMLElement {
  const option = (item: { Id: string; Name: string }) => h('option', { value: item.Id }, item.Name);
  const type = h('select', { required: true }, ...detail.types.map(option));
  const group = h('select', { required: true }, ...detail.groups.map(option));
  if (detail.types.length === 0 || detail.groups.length === 0) {
    return notice('info', 'To assign this permission set, create an account type and a group first.');
  }
  const form = h(
    'form',
    { class: 'inline-form', 'aria-label': 'Assign this permission set' },
    h('h2', {}, 'Assign to a group on an account type'),
    field('Account type', type),
    field('Group', group),
    h('button', { type: 'submit' }, 'Assign'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const where = `${group.selectedOptions[0]?.text ?? ''} on ${type.selectedOptions[0]?.text ?? ''}`;
    context.api
      .post(`${BASE}/${set.Id}/assignments`, [{ AccountTypeId: type.value, GroupId: group.value }])
      .then(() =>
        refresh(`${set.Name} is assigned to ${where}: its deployment to each account is shown below.`),
      )
      .catch((error: unknown) => replace(status, notice('error', inWords(errorText(error)))));
  });
  return form;
}
