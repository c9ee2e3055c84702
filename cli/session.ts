import { exchangeApiToken } from './api';
import { CognitoError, type CognitoTokens, refreshTokens } from './cognito';
import type { CliContext } from './context';
import { CliError } from './errors';
import {
  type ApiTokenSession,
  configDir,
  loadSession,
  type PasswordSession,
  type Session,
  saveSession,
} from './store';

/** A token this close to its expiry is renewed first, so that it cannot expire in flight. */
const RENEW_MARGIN_MS = 60_000;

/**
 * A bearer token for the profile's staxid API that is good for at least another minute:
 * the cached one, or a renewed one (API token: exchanged again; person: refreshed with the
 * refresh token), which is then cached.
 */
export async function currentSession(context: CliContext, profile: string): Promise<Session> {
  const dir = configDir(context.env);
  const session = loadSession(dir, profile);
  if (Date.parse(session.expiresAt) - RENEW_MARGIN_MS > context.now().getTime()) return session;
  const renewed =
    session.method === 'api-token' ? await exchangeAgain(context, session) : await refresh(context, session);
  saveSession(dir, profile, renewed);
  return renewed;
}

async function exchangeAgain(context: CliContext, session: ApiTokenSession): Promise<Session> {
  const grant = await exchangeApiToken(session.api, session.accessKey, session.secretKey);
  return { ...session, accessToken: grant.accessToken, expiresAt: expiryAt(context.now(), grant.expiresIn) };
}

async function refresh(context: CliContext, session: PasswordSession): Promise<Session> {
  let tokens: CognitoTokens;
  try {
    tokens = await refreshTokens(session.cognitoEndpoint, session.clientId, session.refreshToken);
  } catch (error) {
    if (!(error instanceof CognitoError)) throw error;
    throw new CliError(
      `Your staxid session has ended (${(error as Error).message}): run \`staxid login\` again.`,
    );
  }
  return passwordSession(context.now(), session, tokens);
}

/** The cached form of Cognito tokens; a refresh keeps the refresh token it was made with. */
export function passwordSession(
  now: Date,
  base: Omit<PasswordSession, 'accessToken' | 'idToken' | 'refreshToken' | 'expiresAt'> & {
    readonly refreshToken?: string;
  },
  tokens: CognitoTokens,
): PasswordSession {
  const refreshToken = tokens.RefreshToken ?? base.refreshToken;
  if (!refreshToken) throw new CliError('Cognito signed in without a refresh token.');
  return {
    method: 'password',
    api: base.api,
    region: base.region,
    username: base.username,
    cognitoEndpoint: base.cognitoEndpoint,
    clientId: base.clientId,
    accessToken: tokens.AccessToken,
    idToken: tokens.IdToken,
    refreshToken,
    expiresAt: tokenExpiry(now, tokens),
  };
}

/** The access token's own `exp` (cognito-local sends no ExpiresIn), else ExpiresIn, else an hour. */
function tokenExpiry(now: Date, tokens: CognitoTokens): string {
  const exp = jwtExpiry(tokens.AccessToken);
  if (exp !== undefined) return new Date(exp * 1000).toISOString();
  return expiryAt(now, tokens.ExpiresIn ?? 3600);
}

/** Reads `exp` from a JWT's payload; not a verification, only to know when to renew. */
function jwtExpiry(token: string): number | undefined {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
    return typeof payload.exp === 'number' ? payload.exp : undefined;
  } catch {
    return undefined;
  }
}

export function expiryAt(now: Date, seconds: number): string {
  return new Date(now.getTime() + seconds * 1000).toISOString();
}
