/**
 * Signing a person in and keeping them signed in, with `fetch` only (no SDK).
 *
 * - Local mode: the user pool's JSON API (cognito-local), USER_PASSWORD_AUTH and
 *   NEW_PASSWORD_REQUIRED, as the `staxid` CLI does (cli/cognito.ts). cognito-local runs
 *   staxid's triggers as Cognito does: a refused sign-in (a deactivated user) is its error.
 * - AWS mode: Cognito's hosted UI with the authorization code grant and PKCE (S256): the
 *   verifier and `state` wait in sessionStorage while the browser is at the hosted UI; the code
 *   is exchanged at `/oauth2/token` of the hosted-UI domain.
 * - Both: the refresh token stays in sessionStorage (this tab only) and a SessionKeeper
 *   refreshes the access token a minute before it expires, or once when the API answers 401.
 *   The console app client rotates refresh tokens: a renewal's answer carries the next refresh
 *   token, which replaces the one kept (the old one stops working 10 s later). Signing out
 *   revokes the refresh token at the user pool.
 */
import { randomUrlSafe, s256 } from './pkce';

/** `/console/config.json` in local mode: where cognito-local is. */
export interface LocalConsoleConfig {
  readonly mode: 'local';
  readonly cognitoEndpoint: string;
  readonly userPoolClientId: string;
  readonly region: string;
}

/** `/console/config.json` in AWS, written at deploy time: the hosted UI and the console app client. */
export interface AwsConsoleConfig {
  readonly mode: 'aws';
  readonly region: string;
  readonly userPoolClientId: string;
  /** `https://<prefix>.auth.<region>.amazoncognito.com` */
  readonly hostedUiUrl: string;
}

/** Where the user pool is, and how to sign in to it. */
export type ConsoleConfig = LocalConsoleConfig | AwsConsoleConfig;

/** The tokens of a signed-in person, kept for this browser tab only. */
export interface Session {
  readonly accessToken: string;
  /** Absent only in a session stored before refresh existed: it then ends at the token's expiry. */
  readonly refreshToken?: string;
  readonly username: string;
}

/** The next step of a sign-in: signed in, or a new password to set (an invited user's first sign-in). */
export type SignInStep =
  | { readonly kind: 'signed-in'; readonly session: Session }
  | { readonly kind: 'new-password-required'; readonly challenge: string };

/** A refusal that can be shown to the person as it is. */
export class SignInError extends Error {}

const SESSION_KEY = 'staxid.session';
/** The PKCE verifier and `state` of a hosted-UI sign-in under way. */
const PENDING_KEY = 'staxid.pending-sign-in';

export async function loadConfig(): Promise<ConsoleConfig> {
  const response = await fetch('config.json', { cache: 'no-store' });
  if (!response.ok) throw new SignInError('The console could not load its configuration: reload the page.');
  return (await response.json()) as ConsoleConfig;
}

export function storedSession(): Session | undefined {
  const text = sessionStorage.getItem(SESSION_KEY);
  return text ? (JSON.parse(text) as Session) : undefined;
}

export function forgetSession(): void {
  sessionStorage.removeItem(SESSION_KEY);
}

function keepSession(session: Session): Session {
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  return session;
}

// ---- local mode: the user pool's API --------------------------------------------------------

export async function signInWithPassword(
  config: LocalConsoleConfig,
  username: string,
  password: string,
): Promise<SignInStep> {
  const answer = await cognito(config, 'InitiateAuth', {
    AuthFlow: 'USER_PASSWORD_AUTH',
    ClientId: config.userPoolClientId,
    AuthParameters: { USERNAME: username, PASSWORD: password },
  });
  return completeStep(username, answer);
}

export async function setNewPassword(
  config: LocalConsoleConfig,
  username: string,
  challenge: string,
  newPassword: string,
): Promise<SignInStep> {
  const answer = await cognito(config, 'RespondToAuthChallenge', {
    ChallengeName: 'NEW_PASSWORD_REQUIRED',
    ClientId: config.userPoolClientId,
    Session: challenge,
    ChallengeResponses: { USERNAME: username, NEW_PASSWORD: newPassword },
  });
  return completeStep(username, answer);
}

interface CognitoAnswer {
  readonly AuthenticationResult?: { readonly AccessToken?: string; readonly RefreshToken?: string };
  readonly ChallengeName?: string;
  readonly Session?: string;
}

async function completeStep(username: string, answer: CognitoAnswer): Promise<SignInStep> {
  const result = answer.AuthenticationResult;
  if (result?.AccessToken) {
    const session = keepSession({
      accessToken: result.AccessToken,
      username,
      ...(result.RefreshToken && { refreshToken: result.RefreshToken }),
    });
    return { kind: 'signed-in', session };
  }
  if (answer.ChallengeName === 'NEW_PASSWORD_REQUIRED' && answer.Session) {
    return { kind: 'new-password-required', challenge: answer.Session };
  }
  throw new SignInError(
    `The user pool asked for ${answer.ChallengeName ?? 'an unknown step'}, which this console cannot answer yet.`,
  );
}

/** Cognito's refusals in words a person can act on. */
const COGNITO_MESSAGES: Readonly<Record<string, string>> = {
  NotAuthorizedException: 'The username or password is not right.',
  UserNotFoundException: 'The username or password is not right.',
  InvalidPasswordException:
    'The new password is too weak: use at least 8 characters with upper and lower case letters, a digit and a symbol.',
  PasswordResetRequiredException: 'Your password must be reset: ask an administrator.',
  TooManyRequestsException: 'Too many attempts: wait a minute and try again.',
};

/**
 * A staxid trigger refused the sign-in (a deactivated user, an expired invitation): Cognito
 * says "PostAuthentication failed with error <the trigger's message>."; show the message.
 */
function triggerRefusal(message: string): string {
  const reason = /failed with error (.+?)\.?$/s.exec(message)?.[1]?.trim();
  return reason
    ? `staxid refused the sign-in: ${reason.replace(/\.+$/, '')}.`
    : 'staxid refused the sign-in.';
}

async function cognito(
  config: LocalConsoleConfig,
  operation: string,
  input: unknown,
): Promise<CognitoAnswer> {
  let response: Response;
  try {
    response = await fetch(`${config.cognitoEndpoint.replace(/\/+$/, '')}/`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-amz-json-1.1',
        'X-Amz-Target': `AWSCognitoIdentityProviderService.${operation}`,
      },
      body: JSON.stringify(input),
    });
  } catch {
    throw new SignInError('The sign-in service cannot be reached: check your connection and try again.');
  }
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok) {
    const type = String(body.__type ?? body.code ?? '').replace(/^.*#/, '');
    const message = typeof body.message === 'string' ? body.message : '';
    if (type === 'UserLambdaValidationException') throw new SignInError(triggerRefusal(message));
    const detail = message ? ` (${message})` : '';
    throw new SignInError(COGNITO_MESSAGES[type] ?? `The sign-in was refused${detail}.`);
  }
  return body as CognitoAnswer;
}

// ---- AWS mode: the hosted UI, authorization code + PKCE --------------------------------------

/** Where the hosted UI sends the browser back: this page, without query or hash. */
function consoleUrl(): string {
  return `${window.location.origin}/console/`;
}

/** Sends the browser to the hosted UI; the verifier and `state` wait in sessionStorage. */
export async function startHostedSignIn(config: AwsConsoleConfig): Promise<void> {
  const verifier = randomUrlSafe();
  const state = randomUrlSafe();
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ verifier, state }));
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: config.userPoolClientId,
    redirect_uri: consoleUrl(),
    scope: 'openid email profile',
    state,
    code_challenge: await s256(verifier),
    code_challenge_method: 'S256',
  });
  window.location.assign(`${config.hostedUiUrl}/oauth2/authorize?${query}`);
}

/**
 * On the way back from the hosted UI (`?code=&state=` or `?error=`): checks `state`, exchanges
 * the code with the verifier, and removes the answer from the address bar and the verifier from
 * sessionStorage whatever happens. Undefined when the page was not opened by the hosted UI.
 * `state` is checked before an `?error=` is shown: anyone can craft a link to the console with
 * an `error_description`, and only the hosted UI's answer to this tab's sign-in may put words
 * on the page.
 */
export async function completeHostedSignIn(config: AwsConsoleConfig): Promise<Session | undefined> {
  const answer = new URLSearchParams(window.location.search);
  if (!answer.has('code') && !answer.has('error')) return undefined;
  const pending = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  window.history.replaceState(null, '', `${window.location.pathname}${window.location.hash}`);
  const { verifier, state } = pending ? (JSON.parse(pending) as { verifier: string; state: string }) : {};
  if (!verifier || !state || answer.get('state') !== state) {
    throw new SignInError(
      'This sign-in was not started from this tab, or it was already used: sign in again.',
    );
  }
  const error = answer.get('error');
  if (error) throw new SignInError(hostedUiRefusal(error, answer.get('error_description') ?? ''));
  const tokens = await tokenEndpoint(config, {
    grant_type: 'authorization_code',
    client_id: config.userPoolClientId,
    code: answer.get('code') ?? '',
    redirect_uri: consoleUrl(),
    code_verifier: verifier,
  });
  return keepSession({
    accessToken: tokens.access_token,
    username: usernameOf(tokens.access_token),
    ...(tokens.refresh_token && { refreshToken: tokens.refresh_token }),
  });
}

/** Clears the session and ends the hosted UI's own session, which sends the browser back here. */
export function signOutOfHostedUi(config: AwsConsoleConfig): void {
  forgetSession();
  const query = new URLSearchParams({ client_id: config.userPoolClientId, logout_uri: consoleUrl() });
  window.location.assign(`${config.hostedUiUrl}/logout?${query}`);
}

/** The hosted UI's `?error=` in words; a staxid trigger's refusal shows its own message. */
function hostedUiRefusal(error: string, description: string): string {
  if (/failed with error/.test(description)) return triggerRefusal(description);
  if (error === 'access_denied') {
    return `The sign-in was refused${description ? `: ${description.replace(/\.?$/, '.')}` : '.'}`;
  }
  return `The sign-in did not complete (${error}${description ? `: ${description}` : ''}).`;
}

interface TokenAnswer {
  readonly access_token: string;
  readonly refresh_token?: string;
}

/** `POST /oauth2/token` of the hosted UI (form-encoded, RFC 6749); a refusal is a SignInError. */
async function tokenEndpoint(config: AwsConsoleConfig, form: Record<string, string>): Promise<TokenAnswer> {
  let response: Response;
  try {
    response = await fetch(`${config.hostedUiUrl}/oauth2/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form),
    });
  } catch {
    throw new SignInError('The sign-in service cannot be reached: check your connection and try again.');
  }
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok || typeof body.access_token !== 'string') {
    const reason = typeof body.error === 'string' ? ` (${body.error})` : '';
    throw new SignInError(`The sign-in service refused the sign-in${reason}: sign in again.`);
  }
  return body as unknown as TokenAnswer;
}

/** How long a sign-out waits for the revocation before it goes on without it. */
const REVOKE_TIMEOUT_MS = 5_000;

/**
 * Revokes the session's refresh token at the user pool (the hosted UI's `/oauth2/revoke`,
 * RFC 7009, in AWS; cognito-local's RevokeToken locally), so that a copy of it left behind
 * cannot renew the session. Best effort: a failure is ignored and the sign-out goes on.
 */
export async function revokeSession(config: ConsoleConfig, session: Session): Promise<void> {
  if (!session.refreshToken) return;
  const signal = AbortSignal.timeout(REVOKE_TIMEOUT_MS);
  try {
    if (config.mode === 'aws') {
      await fetch(`${config.hostedUiUrl}/oauth2/revoke`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: session.refreshToken, client_id: config.userPoolClientId }),
        signal,
      });
    } else {
      await fetch(`${config.cognitoEndpoint.replace(/\/+$/, '')}/`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-amz-json-1.1',
          'X-Amz-Target': 'AWSCognitoIdentityProviderService.RevokeToken',
        },
        body: JSON.stringify({ ClientId: config.userPoolClientId, Token: session.refreshToken }),
        signal,
      });
    }
  } catch {
    // Unreachable or slow: the token then lives until it expires, as before sign-out existed.
  }
}

// ---- staying signed in ----------------------------------------------------------------------

/** The claims of a JWT the console reads (it never checks the signature: the API does). */
function claimsOf(token: string): { exp?: number; iat?: number; username?: string } {
  try {
    const payload = token.split('.')[1] ?? '';
    return JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as {
      exp?: number;
      username?: string;
    };
  } catch {
    return {};
  }
}

function usernameOf(accessToken: string): string {
  return claimsOf(accessToken).username ?? '';
}

/**
 * New tokens for the session's refresh token; a refusal is a SignInError. With refresh token
 * rotation the answer carries the next refresh token and the presented one soon stops working,
 * so the answer's refresh token, when there is one, replaces the kept one.
 */
async function refreshedSession(config: ConsoleConfig, session: Session): Promise<Session> {
  if (!session.refreshToken) throw new SignInError('The session cannot be renewed.');
  const renewed =
    config.mode === 'aws'
      ? await hostedUiRefresh(config, session.refreshToken)
      : await userPoolRefresh(config, session.refreshToken);
  if (!renewed.accessToken) throw new SignInError('The session cannot be renewed.');
  return keepSession({
    ...session,
    accessToken: renewed.accessToken,
    ...(renewed.refreshToken && { refreshToken: renewed.refreshToken }),
  });
}

/** What a renewal answers: an access token, and the next refresh token when the pool rotates them. */
interface Renewal {
  readonly accessToken?: string;
  readonly refreshToken?: string;
}

async function hostedUiRefresh(config: AwsConsoleConfig, refreshToken: string): Promise<Renewal> {
  const answer = await tokenEndpoint(config, {
    grant_type: 'refresh_token',
    client_id: config.userPoolClientId,
    refresh_token: refreshToken,
  });
  return { accessToken: answer.access_token, refreshToken: answer.refresh_token };
}

async function userPoolRefresh(config: LocalConsoleConfig, refreshToken: string): Promise<Renewal> {
  const answer = await cognito(config, 'InitiateAuth', {
    AuthFlow: 'REFRESH_TOKEN_AUTH',
    ClientId: config.userPoolClientId,
    AuthParameters: { REFRESH_TOKEN: refreshToken },
  });
  const result = answer.AuthenticationResult;
  return { accessToken: result?.AccessToken, refreshToken: result?.RefreshToken };
}

/** How long before the access token's expiry the keeper renews it. */
const REFRESH_MARGIN_MS = 60_000;
/** The shortest wait between two renewals. */
const MIN_REFRESH_DELAY_MS = 10_000;

/**
 * Keeps one session's access token fresh: renews it a minute before it expires, and on demand
 * (the API answered 401). Renewals in flight are shared, so many 401s at once renew once; a
 * refused renewal reports `false` and the caller ends the session.
 */
export class SessionKeeper {
  private session: Session;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private renewing: Promise<boolean> | undefined;
  private stopped = false;

  constructor(
    private readonly config: ConsoleConfig,
    session: Session,
    private readonly onRefused: () => void,
  ) {
    this.session = session;
    this.schedule();
  }

  accessToken(): string {
    return this.session.accessToken;
  }

  /** The session as last renewed: its refresh token is the one to revoke at sign-out. */
  current(): Session {
    return this.session;
  }

  /** Renews the access token now; `false` when the user pool refused (the session is over). */
  refresh(): Promise<boolean> {
    if (this.stopped) return Promise.resolve(false);
    this.renewing ??= refreshedSession(this.config, this.session)
      .then((session) => {
        this.session = session;
        this.schedule();
        return true;
      })
      .catch(() => false)
      .finally(() => {
        this.renewing = undefined;
      });
    return this.renewing;
  }

  /** No more renewals: the person signed out or the session ended. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /**
   * Renews a minute before expiry. The wait is the shorter of the time left by this clock and the
   * token's own lifetime (`exp - iat`), so a clock running ahead of the user pool's does not renew
   * in a loop; and never sooner than MIN_REFRESH_DELAY_MS.
   */
  private schedule(): void {
    clearTimeout(this.timer);
    const { exp, iat } = claimsOf(this.session.accessToken);
    if (exp === undefined || !this.session.refreshToken || this.stopped) return;
    const lifetime = iat === undefined ? Number.POSITIVE_INFINITY : (exp - iat) * 1000;
    const remaining = Math.min(exp * 1000 - Date.now(), lifetime);
    // setTimeout holds at most 2^31-1 ms (about 24 days); a longer wait would fire at once.
    const delay = Math.min(Math.max(MIN_REFRESH_DELAY_MS, remaining - REFRESH_MARGIN_MS), 2 ** 31 - 1);
    this.timer = setTimeout(() => {
      void this.refresh().then((renewed) => {
        if (!renewed && !this.stopped) this.onRefused();
      });
    }, delay);
  }
}
