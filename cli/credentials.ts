import { type AwsRole, listAwsRoles, signInForCredentials } from './api';
import type { CliContext } from './context';
import { CliError } from './errors';
import { currentSession } from './session';
import { type AwsCredentials, cacheAwsCredentials, cachedAwsCredentials, configDir } from './store';

/** Cached AWS credentials are used until this long before they expire, as the AWS SDK refreshes. */
const CACHE_MARGIN_MS = 5 * 60_000;

export interface CredentialsOptions {
  readonly profile: string;
  /** A 12-digit account id or an account name. */
  readonly account: string;
  readonly role: string;
}

/**
 * `staxid credentials`: AWS credentials for (account, role) in the credential_process
 * format, from the cache while they have more than 5 minutes left, else from a sign-in.
 */
export async function awsCredentials(
  context: CliContext,
  options: CredentialsOptions,
): Promise<AwsCredentials> {
  const dir = configDir(context.env);
  const validUntil = new Date(context.now().getTime() + CACHE_MARGIN_MS);
  const cached = cachedAwsCredentials(dir, options.profile, options.account, options.role, validUntil);
  if (cached) return cached;
  const session = await currentSession(context, options.profile);
  const accountId = /^\d{12}$/.test(options.account)
    ? options.account
    : accountIdByName(await listAwsRoles(session.api, session.accessToken), options.account);
  const credentials = await signInForCredentials(session.api, session.accessToken, accountId, options.role);
  cacheAwsCredentials(dir, options.profile, options.account, options.role, credentials);
  return credentials;
}

/** The id of the one account the caller holds a role in whose name matches (case-insensitive). */
export function accountIdByName(roles: readonly AwsRole[], name: string): string {
  const wanted = name.toLowerCase();
  const ids = [
    ...new Set(roles.filter((role) => role.AccountName.toLowerCase() === wanted).map((r) => r.AccountId)),
  ];
  if (ids.length === 1 && ids[0]) return ids[0];
  if (ids.length > 1) {
    throw new CliError(
      `Several accounts are named ${JSON.stringify(name)} (${ids.join(', ')}): give the account id.`,
    );
  }
  const names = [...new Set(roles.map((role) => role.AccountName))].sort();
  throw new CliError(
    `You hold no role in an account named ${JSON.stringify(name)}. Accounts you can reach: ${names.join(', ') || 'none'}.`,
  );
}
