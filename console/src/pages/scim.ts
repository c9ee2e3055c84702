import type { PageContext } from '../context';
import { errorText, keepFocusIn, openDialog } from '../dialog';
import { field, h, notice, replace, table } from '../dom';
import { secretShownOnce, showSecretThenRefresh } from '../secret';

/** A SCIM token as `GET /20190206/scim-tokens` lists it (never with its secret). */
interface ScimToken {
  readonly Id: string;
  readonly Description?: string;
  readonly CreatedTS: string;
  readonly ExpiresTS: string;
  readonly Expired?: boolean;
}

/** IAM Identity Center's limit, which staxid keeps: one token in use, one being rotated in. */
const MAX_ACTIVE_TOKENS = 2;
const DEFAULT_DAYS = 365;
const DAY_MS = 86_400_000;
/** Tokens closer than this to their expiry are flagged, so the IdP gets a new one in time. */
const WARN_DAYS = 30;

/**
 * SCIM provisioning (Admins only): the endpoint an identity provider provisions users and
 * groups through (ADR 0015) and its bearer tokens. An Admin creates a token (shown this
 * once, to paste into the IdP) and deletes one; tokens expire, and the page says when.
 * `shown` is a just-created token, kept in the status region across the page's refresh.
 */
export async function scimPage(main: HTMLElement, context: PageContext, shown?: HTMLElement): Promise<void> {
  const { ScimTokens: tokens } = await context.api.get<{ ScimTokens: ScimToken[] }>('/scim-tokens');
  const status = h('div', { 'aria-live': 'polite' }, shown);
  const endpoint = `${window.location.origin}/scim/v2`;
  replace(
    main,
    h('h1', {}, 'SCIM provisioning'),
    h(
      'p',
      {},
      'Your identity provider (Okta, Microsoft Entra ID, …) creates, updates and deactivates users and groups here. ',
      'In its provisioning settings, set the SCIM base URL and a token from this page.',
    ),
    h('p', {}, 'SCIM base URL: ', h('code', { 'data-testid': 'scim-endpoint' }, endpoint)),
    status,
    tokens.length < MAX_ACTIVE_TOKENS
      ? createTokenForm(context, main, status)
      : h(
          'p',
          {},
          `There are ${MAX_ACTIVE_TOKENS} tokens, the most there can be: delete one (an expired one, or one your identity provider no longer uses) to create another.`,
        ),
    table(
      `${tokens.length} SCIM token${tokens.length === 1 ? '' : 's'}`,
      ['Description', 'Id', 'Created', 'Expires', 'Actions'],
      tokens.map((token) => [
        document.createTextNode(token.Description ?? ''),
        h('code', {}, token.Id),
        document.createTextNode(new Date(token.CreatedTS).toLocaleString()),
        expiry(token),
        deleteButton(context, main, token),
      ]),
    ),
  );
}

/** When the token stops working, in words, flagged when it has or soon will. */
function expiry(token: ScimToken): Node {
  const expires = new Date(token.ExpiresTS);
  const at = expires.toLocaleString();
  if (token.Expired)
    return h('strong', { class: 'warning' }, `Expired ${at}: delete it and create a new one`);
  const days = Math.floor((expires.getTime() - Date.now()) / DAY_MS);
  if (days < WARN_DAYS) {
    return h(
      'strong',
      { class: 'warning' },
      `${at} (in ${days} days): give your identity provider a new token`,
    );
  }
  return document.createTextNode(at);
}

function deleteButton(context: PageContext, main: HTMLElement, token: ScimToken): HTMLElement {
  const name = token.Description ? `${token.Description} (${token.Id})` : token.Id;
  const remove = async (): Promise<void> => {
    const done = await openDialog({
      title: `Delete SCIM token ${name}?`,
      content: [
        h(
          'p',
          {},
          'An identity provider still using this token can no longer provision users or groups: its requests are refused at once. This cannot be undone.',
        ),
      ],
      confirmLabel: 'Delete the token',
      danger: true,
      action: () => context.api.delete(`/scim-tokens/${encodeURIComponent(token.Id)}`),
    });
    if (!done) return;
    await scimPage(main, context);
    main.querySelector('[aria-live]')?.replaceChildren(notice('info', `SCIM token ${name} is deleted.`));
    keepFocusIn(main);
  };
  return h(
    'button',
    {
      type: 'button',
      class: 'danger',
      'aria-label': `Delete SCIM token ${name}`,
      onclick: () =>
        void remove().catch((error: unknown) => replace(main, notice('error', errorText(error)))),
    },
    'Delete',
  );
}

function createTokenForm(context: PageContext, main: HTMLElement, status: HTMLElement): HTMLElement {
  const description = h('input', { type: 'text', maxlength: '256', autocomplete: 'off' });
  const days = h('input', {
    type: 'number',
    min: '1',
    max: String(DEFAULT_DAYS),
    step: '1',
    required: true,
    value: String(DEFAULT_DAYS),
  });
  const form = h(
    'form',
    { class: 'inline-form', 'aria-label': 'Create a SCIM token' },
    h('h2', {}, 'Create a SCIM token'),
    field('Description (where it is used)', description),
    field('Expires in days', days),
    h('button', { type: 'submit' }, 'Create token'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const note = description.value.trim();
    context.api
      .post<{ Id: string; Token: string; ExpiresTS?: string }>('/scim-tokens', {
        ...(note && { Description: note }),
        ExpiresInDays: Number(days.value),
      })
      .then((created) => {
        const secret = secretShownOnce({
          title: 'The SCIM token is created',
          use: `Paste it into your identity provider as the SCIM bearer token${
            created.ExpiresTS ? `; it expires ${new Date(created.ExpiresTS).toLocaleString()}` : ''
          }.`,
          details: [['Id', created.Id]],
          secretLabel: 'token',
          secret: created.Token,
          testId: 'scim-token',
        });
        return showSecretThenRefresh(status, secret, (shown) => scimPage(main, context, shown));
      })
      .catch((error: unknown) => replace(status, notice('error', errorText(error))));
  });
  return form;
}
