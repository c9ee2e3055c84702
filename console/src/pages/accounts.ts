import { ApiError } from '../api';
import type { PageContext } from '../context';
import { field, h, notice, replace, table } from '../dom';

/** One role the person holds in one AWS account (`GET /20190206/users/me/aws-roles`). */
interface AwsRole {
  readonly AccountId: string;
  readonly AccountName: string;
  readonly RoleName: string;
  readonly Source: string;
  readonly CaseReference?: string;
}

/** My AWS accounts: every account and role held, searchable; one click signs in to the AWS console. */
export async function accountsPage(main: HTMLElement, context: PageContext): Promise<void> {
  const { Roles: roles } = await context.api.get<{ Roles: AwsRole[] }>('/users/me/aws-roles');
  const search = h('input', { type: 'search', autocomplete: 'off', placeholder: 'Account or role' });
  const results = h('div', {});
  const status = h('div', { 'aria-live': 'polite' });
  const render = (): void => {
    const term = search.value.trim().toLowerCase();
    const shown = roles.filter((role) =>
      `${role.AccountName} ${role.AccountId} ${role.RoleName}`.toLowerCase().includes(term),
    );
    if (roles.length === 0) {
      replace(results, notice('info', 'You hold no role in any AWS account yet: ask an administrator.'));
      return;
    }
    replace(
      results,
      table(
        `${shown.length} of ${roles.length} roles`,
        ['Account', 'Role', 'Granted by', 'Sign in'],
        shown.map((role) => [
          h('span', {}, `${role.AccountName} `, h('span', { class: 'muted' }, role.AccountId)),
          document.createTextNode(role.RoleName),
          document.createTextNode(
            role.CaseReference ? `${role.Source} (${role.CaseReference})` : role.Source,
          ),
          h(
            'span',
            { class: 'actions' },
            h(
              'button',
              {
                type: 'button',
                'aria-label': `Sign in to ${role.AccountName} as ${role.RoleName}`,
                onclick: () => void signInToConsole(context, role, status),
              },
              'Sign in',
            ),
            h(
              'button',
              {
                type: 'button',
                class: 'secondary',
                'aria-label': `CLI access to ${role.AccountName} as ${role.RoleName}`,
                onclick: () => replace(status, cliHelp(role)),
              },
              'CLI',
            ),
          ),
        ]),
      ),
    );
  };
  search.addEventListener('input', render);
  replace(main, h('h1', {}, 'My AWS accounts'), field('Search accounts and roles', search), status, results);
  render();
}

/**
 * Asks staxid for the SAML Response and posts it to AWS's sign-in endpoint in a new tab, as
 * the page staxid returns would; the form is built here so that no script of that page runs
 * under the console's Content-Security-Policy.
 */
async function signInToConsole(context: PageContext, role: AwsRole, status: HTMLElement): Promise<void> {
  replace(status, notice('info', `Signing in to ${role.AccountName} as ${role.RoleName}…`));
  try {
    const page = await context.api.postForPage('/aws/sign-in', {
      AccountId: role.AccountId,
      RoleName: role.RoleName,
      Mode: 'console',
    });
    const form = samlForm(page);
    document.body.appendChild(form);
    form.submit();
    form.remove();
    replace(status, notice('info', `The AWS console for ${role.AccountName} opens in a new tab.`));
  } catch (error) {
    replace(status, notice('error', error instanceof ApiError ? error.message : String(error)));
  }
}

/** The sign-in page's form (destination and SAMLResponse), rebuilt to post into a new tab. */
function samlForm(page: string): HTMLFormElement {
  const parsed = new DOMParser().parseFromString(page, 'text/html').querySelector('form');
  const samlResponse = parsed?.querySelector<HTMLInputElement>('input[name="SAMLResponse"]')?.value;
  if (!parsed || !samlResponse) {
    throw new Error('staxid answered without a SAML Response: try again, or ask an administrator.');
  }
  return h(
    'form',
    { method: 'post', action: parsed.getAttribute('action') ?? '', target: '_blank', hidden: true },
    h('input', { type: 'hidden', name: 'SAMLResponse', value: samlResponse }),
    h('input', { type: 'hidden', name: 'RelayState', value: '' }),
  );
}

/** The `staxid` commands and the AWS CLI profile that reach this role from a terminal. */
function cliHelp(role: AwsRole): HTMLElement {
  const profile = `staxid-${role.AccountName}-${role.RoleName}`.replace(/[^\w.-]+/g, '-');
  const text = [
    `staxid login --api ${window.location.origin}`,
    'staxid configure',
    `aws sts get-caller-identity --profile ${profile}`,
    '',
    '# or, in ~/.aws/config:',
    `[profile ${profile}]`,
    `credential_process = staxid credentials --account ${role.AccountId} --role ${role.RoleName}`,
  ].join('\n');
  return h(
    'section',
    { class: 'cli', 'aria-label': `CLI access to ${role.AccountName}` },
    h('h2', {}, `CLI access to ${role.AccountName} as ${role.RoleName}`),
    h('pre', { tabindex: '0' }, text),
  );
}
