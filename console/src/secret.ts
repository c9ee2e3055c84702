import { errorText } from './dialog';
import { h, notice, replace } from './dom';

/** What a create operation answers once and staxid never shows again. */
export interface ShownOnce {
  /** The heading, e.g. "Token ci is created". */
  readonly title: string;
  /** Where the secret goes, after "Copy … now: staxid keeps only a hash of it and will not show it again." */
  readonly use?: string;
  /** Identifiers shown beside the secret (label → value). */
  readonly details: ReadonlyArray<readonly [string, string]>;
  /** The secret's name, e.g. "SecretKey". */
  readonly secretLabel: string;
  readonly secret: string;
  /** The test id of the element holding the secret. */
  readonly testId: string;
}

/** A new secret, with a copy button: the only time a person can see it. */
export function secretShownOnce(shown: ShownOnce): HTMLElement {
  const copied = h('span', { role: 'status' });
  const copy = (): void => {
    navigator.clipboard.writeText(shown.secret).then(
      () => replace(copied, 'Copied.'),
      () =>
        replace(copied, `The browser did not allow copying: select the ${shown.secretLabel} and copy it.`),
    );
  };
  return h(
    'section',
    { class: 'notice secret', 'aria-label': shown.title },
    h('h2', {}, shown.title),
    h(
      'p',
      {},
      `Copy the ${shown.secretLabel} now: staxid keeps only a hash of it and will not show it again.`,
      shown.use ? ` ${shown.use}` : '',
    ),
    ...shown.details.map(([label, value]) => h('p', {}, `${label}: `, h('code', {}, value))),
    h('p', {}, `${shown.secretLabel}: `, h('code', { 'data-testid': shown.testId }, shown.secret), ' '),
    h('button', { type: 'button', class: 'secondary', onclick: copy }, `Copy the ${shown.secretLabel}`),
    ' ',
    copied,
  );
}

/**
 * Shows a just-created secret in `status` at once, then refreshes the page, which shows it
 * again in its new status region. The secret is shown before the refresh because the refresh
 * may fail after the create succeeded: the page then stays as it was, with the secret and the
 * refresh's error beside it, instead of losing the only sight of the secret.
 */
export async function showSecretThenRefresh(
  status: HTMLElement,
  secret: HTMLElement,
  refresh: (secret: HTMLElement) => Promise<void>,
): Promise<void> {
  replace(status, secret);
  try {
    await refresh(secret);
  } catch (error) {
    const reason = errorText(error).replace(/\.$/, '');
    status.append(
      notice(
        'error',
        `The list could not be refreshed (${reason}): copy the secret above now, then reload the page.`,
      ),
    );
  }
}
