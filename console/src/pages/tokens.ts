import type { PageContext } from '../context';
import { errorText, keepFocusIn, openDialog } from '../dialog';
import { field, h, notice, replace, table } from '../dom';
import { secretShownOnce, showSecretThenRefresh } from '../secret';

/** An API token as `GET /20190206/api-tokens` lists it (never with its secret). */
interface ApiToken {
  readonly AccessKey: string;
  readonly Name: string;
  readonly Role: string;
  readonly Status: string;
  readonly CreatedTS?: string;
}

const TOKEN_ROLES: Readonly<Record<string, string>> = {
  api_readonly: 'Read only',
  api_user: 'User',
  api_admin: 'Admin',
};

/**
 * API tokens: machine identities; an Admin creates one and sees its SecretKey this once, and
 * deletes one (the API has no rename: a token's Name is fixed when it is created). `shown`
 * is a just-created secret, kept in the status region across the page's refresh.
 */
export async function tokensPage(
  main: HTMLElement,
  context: PageContext,
  shown?: HTMLElement,
): Promise<void> {
  const { ApiTokens: tokens } = await context.api.get<{ ApiTokens: ApiToken[] }>('/api-tokens');
  const status = h('div', { 'aria-live': 'polite' }, shown);
  replace(
    main,
    h('h1', {}, 'API tokens'),
    status,
    context.isAdmin && createTokenForm(context, main, status),
    table(
      `${tokens.length} API tokens`,
      ['Name', 'Role', 'Status', 'AccessKey', 'Created', ...(context.isAdmin ? ['Actions'] : [])],
      tokens.map((token) => [
        document.createTextNode(token.Name),
        document.createTextNode(TOKEN_ROLES[token.Role] ?? token.Role),
        document.createTextNode(token.Status),
        h('code', {}, token.AccessKey),
        document.createTextNode(token.CreatedTS ? new Date(token.CreatedTS).toLocaleString() : ''),
        ...(context.isAdmin ? [deleteButton(context, main, token)] : []),
      ]),
    ),
  );
}

function deleteButton(context: PageContext, main: HTMLElement, token: ApiToken): HTMLElement {
  const remove = async (): Promise<void> => {
    const done = await openDialog({
      title: `Delete API token ${token.Name}?`,
      content: [
        h(
          'p',
          {},
          `Whatever uses ${token.Name} (AccessKey ${token.AccessKey}) stops working at once, with the access tokens issued to it. This cannot be undone.`,
        ),
      ],
      confirmLabel: `Delete ${token.Name}`,
      danger: true,
      action: () => context.api.delete(`/api-tokens/${encodeURIComponent(token.AccessKey)}`),
    });
    if (!done) return;
    await tokensPage(main, context);
    main.querySelector('[aria-live]')?.replaceChildren(notice('info', `API token ${token.Name} is deleted.`));
    keepFocusIn(main);
  };
  return h(
    'button',
    {
      type: 'button',
      class: 'danger',
      'aria-label': `Delete API token ${token.Name}`,
      onclick: () =>
        void remove().catch((error: unknown) => replace(main, notice('error', errorText(error)))),
    },
    'Delete',
  );
}

function createTokenForm(context: PageContext, main: HTMLElement, status: HTMLElement): HTMLElement {
  const name = h('input', { type: 'text', required: true, autocomplete: 'off' });
  const role = h(
    'select',
    {},
    ...Object.entries(TOKEN_ROLES).map(([value, label]) => h('option', { value }, label)),
  );
  const form = h(
    'form',
    { class: 'inline-form', 'aria-label': 'Create an API token' },
    h('h2', {}, 'Create an API token'),
    field('Token name', name),
    field('Token role', role),
    h('button', { type: 'submit' }, 'Create token'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    context.api
      .post<{ ApiTokens: Array<ApiToken & { SecretKey: string }> }>('/api-tokens', {
        Name: name.value.trim(),
        Role: role.value,
      })
      .then(async ({ ApiTokens: [created] }) => {
        if (!created) return tokensPage(main, context);
        const secret = secretShownOnce({
          title: `Token ${created.Name} is created`,
          details: [['AccessKey', created.AccessKey]],
          secretLabel: 'SecretKey',
          secret: created.SecretKey,
          testId: 'secret-key',
        });
        return showSecretThenRefresh(status, secret, (shown) => tokensPage(main, context, shown));
      })
      .catch((error: unknown) => replace(status, notice('error', errorText(error))));
  });
  return form;
}
