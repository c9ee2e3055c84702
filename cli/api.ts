import { CliError } from './errors';
import type { AwsCredentials } from './store';

/**
 * The staxid API as the CLI uses it: plain `fetch` against a base URL (the only thing that
 * differs between AWS, `npm start` and tests), and every error body the service sends
 * (`{Error, Cause}`, RFC 6749 `{error, error_description}`, API Gateway `{message}`)
 * turned into a CliError that quotes it.
 */

/** What the CLI reads from `GET /20190206/public/config` (public.ReadConfig). */
export interface PublicAuthConfig {
  readonly region: string;
  readonly userPoolId: string;
  readonly userPoolWebClientId: string;
}

/** One (account, role) the caller may sign in to. */
export interface AwsRole {
  readonly AccountId: string;
  readonly AccountName: string;
  readonly RoleName: string;
  readonly RoleArn: string;
  readonly Source: string;
}

export interface TokenGrant {
  readonly accessToken: string;
  readonly expiresIn: number;
}

/** `POST <api>/oauth2/token`: client credentials with the API token's key pair as HTTP Basic. */
export async function exchangeApiToken(
  api: string,
  accessKey: string,
  secretKey: string,
): Promise<TokenGrant> {
  const basic = Buffer.from(`${formEncode(accessKey)}:${formEncode(secretKey)}`).toString('base64');
  const body = await request(api, 'POST', '/oauth2/token', {
    headers: {
      Authorization: `Basic ${basic}`,
      'Content-Type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  const { access_token: accessToken, expires_in: expiresIn } = body as Record<string, unknown>;
  if (typeof accessToken !== 'string' || typeof expiresIn !== 'number') {
    throw new CliError(`${api}/oauth2/token answered without access_token and expires_in.`);
  }
  return { accessToken, expiresIn };
}

/**
 * An AWS region name (`eu-west-2`, `us-gov-west-1`, `us-isob-east-1`). The region comes from
 * an unauthenticated response and ends up in the Cognito endpoint the password is sent to
 * and in `~/.aws/config`, so anything else is refused rather than used.
 */
const AWS_REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/;

/** Whether `value` is shaped like an AWS region name. */
export function isAwsRegion(value: unknown): value is string {
  return typeof value === 'string' && AWS_REGION.test(value);
}

export async function readPublicAuthConfig(api: string): Promise<PublicAuthConfig> {
  const body = (await request(api, 'GET', '/20190206/public/config')) as { Auth?: Partial<PublicAuthConfig> };
  const auth = body.Auth;
  if (!auth?.region || !auth.userPoolId || !auth.userPoolWebClientId) {
    throw new CliError(
      `${api}/20190206/public/config has no Auth.region, Auth.userPoolId and Auth.userPoolWebClientId: is ${api} a staxid API?`,
    );
  }
  if (!isAwsRegion(auth.region)) {
    throw new CliError(
      `${api}/20190206/public/config names the region ${JSON.stringify(auth.region)}, which is not an AWS region (such as eu-west-2): refusing to sign in to ${api}.`,
    );
  }
  return {
    region: auth.region,
    userPoolId: auth.userPoolId,
    userPoolWebClientId: auth.userPoolWebClientId,
  };
}

export function readCurrentUser(api: string, token: string): Promise<unknown> {
  return request(api, 'GET', '/20190206/users/me', { token });
}

export async function listAwsRoles(api: string, token: string): Promise<readonly AwsRole[]> {
  const body = (await request(api, 'GET', '/20190206/users/me/aws-roles', { token })) as { Roles?: unknown };
  if (!Array.isArray(body.Roles))
    throw new CliError(`${api}/20190206/users/me/aws-roles answered without Roles.`);
  return body.Roles.filter(isWellFormedRole);
}

/**
 * A role whose AccountId is 12 digits and whose RoleName is an IAM role name (the bare
 * name: a permission set's `/staxid/` path is only in RoleArn). Both are written into
 * `~/.aws/config`, so a role the API sends in any other shape is left out.
 */
function isWellFormedRole(role: unknown): role is AwsRole {
  const { AccountId, AccountName, RoleName } = (role ?? {}) as Partial<Record<keyof AwsRole, unknown>>;
  return (
    typeof AccountId === 'string' &&
    /^\d{12}$/.test(AccountId) &&
    typeof RoleName === 'string' &&
    /^[\w+=,.@-]{1,64}$/.test(RoleName) &&
    typeof AccountName === 'string'
  );
}

/** `POST /20190206/aws/sign-in` in mode `credentials`: temporary AWS credentials for (account, role). */
export async function signInForCredentials(
  api: string,
  token: string,
  accountId: string,
  roleName: string,
): Promise<AwsCredentials> {
  const body = (await request(api, 'POST', '/20190206/aws/sign-in', {
    token,
    json: { AccountId: accountId, RoleName: roleName, Mode: 'credentials' },
  })) as Partial<Record<keyof AwsCredentials, unknown>>;
  const { Version, AccessKeyId, SecretAccessKey, SessionToken, Expiration } = body;
  if (
    Version !== 1 ||
    typeof AccessKeyId !== 'string' ||
    typeof SecretAccessKey !== 'string' ||
    typeof SessionToken !== 'string' ||
    typeof Expiration !== 'string' ||
    Number.isNaN(Date.parse(Expiration))
  ) {
    throw new CliError(`${api}/20190206/aws/sign-in answered without Version 1 credentials.`);
  }
  return { Version, AccessKeyId, SecretAccessKey, SessionToken, Expiration };
}

interface RequestOptions {
  readonly token?: string;
  readonly json?: unknown;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

async function request(
  api: string,
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<unknown> {
  const url = `${api}${path}`;
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  let body = options.body;
  if (options.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.json);
  }
  let response: Response;
  try {
    response = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(30_000) });
  } catch (error) {
    throw new CliError(`Cannot reach ${url}: ${causeOf(error)}`);
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? {} : JSON.parse(text);
  } catch {
    throw new CliError(`${method} ${url} answered ${response.status} with a body that is not JSON.`);
  }
  if (!response.ok) throw new CliError(`${method} ${url} refused (${response.status}): ${errorText(parsed)}`);
  return parsed;
}

/** The message of any of the error bodies the service and API Gateway send. */
function errorText(body: unknown): string {
  const fields = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const parts = [fields.Error, fields.Cause, fields.error, fields.error_description, fields.message].filter(
    (part): part is string => typeof part === 'string' && part !== '',
  );
  return parts.length > 0 ? parts.join(': ') : JSON.stringify(body);
}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: { message?: string } }).cause?.message;
  return cause ?? (error as Error).message;
}

/** RFC 6749 §2.3.1: the client id and secret are form-encoded before Basic encoding. */
function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+');
}
