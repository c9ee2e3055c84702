import { ApiError } from '../api';
import type { PageContext } from '../context';
import { field, h, notice, replace, table } from '../dom';
import type { Group } from './groups';

/** A support-access grant (ADR 0012), as `GET /20190206/support-access` lists it. */
interface Grant {
  readonly Id: string;
  readonly UserId: string;
  readonly CaseReference: string;
  readonly Scope: { readonly AccountIds: readonly string[]; readonly AccountTypeIds: readonly string[] };
  readonly RoleName: string;
  readonly DurationHours: number;
  readonly Reason?: string;
  readonly Status: string;
  readonly ExpiresAt?: string;
}

/** The group whose members are support engineers (`STAXID_SUPPORT_GROUP_NAME`, `Support` by default). */
const SUPPORT_GROUP = 'Support';

/**
 * Support access: an Admin sees every grant and approves (for the grant's case) or revokes it;
 * a support engineer sees their own and asks for access; anyone else sees their own grants only.
 */
export async function supportPage(main: HTMLElement, context: PageContext): Promise<void> {
  const [{ SupportAccessGrants: grants }, { Groups: groups }] = await Promise.all([
    context.api.get<{ SupportAccessGrants: Grant[] }>('/support-access'),
    context.api.get<{ Groups: Group[] }>('/groups'),
  ]);
  const isEngineer = groups.some(
    (group) => group.Name === SUPPORT_GROUP && group.Users.includes(context.me.Id),
  );
  const status = h('div', { 'aria-live': 'polite' });
  const act = (action: () => Promise<unknown>, done: string): void => {
    action()
      .then(() => supportPage(main, context))
      .then(() => main.querySelector('[aria-live]')?.replaceChildren(notice('info', done)))
      .catch((error: unknown) =>
        replace(status, notice('error', error instanceof ApiError ? error.message : String(error))),
      );
  };
  replace(
    main,
    h('h1', {}, 'Support access'),
    status,
    isEngineer && requestForm(context, act),
    table(
      `${grants.length} support access grants`,
      ['Case', 'Engineer', 'Accounts', 'Role', 'Hours', 'Status', ...(context.isAdmin ? ['Actions'] : [])],
      grants.map((grant) => [
        document.createTextNode(grant.CaseReference),
        h('code', {}, grant.UserId),
        document.createTextNode([...grant.Scope.AccountIds, ...grant.Scope.AccountTypeIds].join(', ')),
        document.createTextNode(grant.RoleName),
        document.createTextNode(String(grant.DurationHours)),
        document.createTextNode(
          grant.ExpiresAt
            ? `${grant.Status} until ${new Date(grant.ExpiresAt).toLocaleString()}`
            : grant.Status,
        ),
        ...(context.isAdmin ? [grantActions(context, grant, act)] : []),
      ]),
    ),
  );
}

type Act = (action: () => Promise<unknown>, done: string) => void;

function grantActions(context: PageContext, grant: Grant, act: Act): HTMLElement {
  const button = (label: string, path: string, done: string): HTMLButtonElement =>
    h(
      'button',
      {
        type: 'button',
        class: 'secondary',
        'aria-label': `${label} support access for case ${grant.CaseReference}`,
        onclick: () => act(() => context.api.put(path, {}), done),
      },
      label,
    );
  return h(
    'span',
    { class: 'actions' },
    grant.Status === 'PENDING' &&
      button(
        'Approve',
        `/support-access/${grant.Id}/approve`,
        `Support access for case ${grant.CaseReference} is approved.`,
      ),
    (grant.Status === 'PENDING' || grant.Status === 'ACTIVE') &&
      button(
        'Revoke',
        `/support-access/${grant.Id}/revoke`,
        `Support access for case ${grant.CaseReference} is revoked.`,
      ),
  );
}

function requestForm(context: PageContext, act: Act): HTMLElement {
  const caseReference = h('input', { type: 'text', required: true, autocomplete: 'off' });
  const accounts = h('input', {
    type: 'text',
    required: true,
    autocomplete: 'off',
    placeholder: '123456789012',
  });
  const hours = h('input', { type: 'number', min: '1', max: '72', value: '4', required: true });
  const reason = h('input', { type: 'text', autocomplete: 'off' });
  const form = h(
    'form',
    { class: 'inline-form', 'aria-label': 'Ask for support access' },
    h('h2', {}, 'Ask for support access'),
    field('Case reference', caseReference),
    field('AWS account ids (comma separated)', accounts),
    field('Hours', hours),
    field('Reason', reason),
    h('button', { type: 'submit' }, 'Ask for access'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const accountIds = accounts.value
      .split(',')
      .map((id) => id.trim())
      .filter((id) => id !== '');
    act(
      () =>
        context.api.post('/support-access', {
          CaseReference: caseReference.value.trim(),
          Scope: { AccountIds: accountIds },
          DurationHours: Number(hours.value),
          ...(reason.value.trim() && { Reason: reason.value.trim() }),
        }),
      `Support access for case ${caseReference.value.trim()} is requested: an Admin approves it.`,
    );
  });
  return form;
}
