/**
 * A stand-in of Cognito's hosted UI on 127.0.0.1, backed by cognito-local (which has none), so
 * the console's AWS-mode sign-in (authorization code + PKCE, ADR 0019) runs without AWS:
 *
 * - `GET /oauth2/authorize`: checks the client, the redirect URI (registered callback URLs
 *   only), `response_type=code` and an S256 code challenge, then answers a sign-in form;
 * - `POST /login`: USER_PASSWORD_AUTH against cognito-local, the NEW_PASSWORD_REQUIRED step of
 *   an invited user, then 302 to `redirect_uri?code&state`. A staxid trigger's refusal (a
 *   deactivated user) goes back as `?error=access_denied&error_description=<its message>`;
 * - `POST /oauth2/token`: the authorization_code grant (one-time codes valid 5 minutes, the
 *   exact redirect URI, the verifier checked against the challenge) and the refresh_token grant
 *   (cognito-local's REFRESH_TOKEN_AUTH) with refresh token rotation, as the console's app
 *   client has it: each answer carries a new refresh token and the one it replaces is refused
 *   once the retry grace period is over; refusals are RFC 6749 `{error, error_description}`
 *   with 400; CORS for the callback URLs' origins, as Cognito answers the console's `fetch`;
 * - `POST /oauth2/revoke` (RFC 7009): revokes a refresh token and every token rotated from it;
 * - `GET /logout`: 302 to a registered sign-out URL.
 *
 * Codes, pending sign-ins and rotated refresh tokens live in memory: a restart forgets them
 * (a rotated token then stops working, as after a revocation).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type AuthenticationResultType,
  type CognitoIdentityProviderClient,
  InitiateAuthCommand,
  type InitiateAuthCommandOutput,
  RespondToAuthChallengeCommand,
  RevokeTokenCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { cognitoLocalClient } from '@/local/cognito-local';

const HOST = '127.0.0.1';
/** How long an authorization code may be exchanged (Cognito: 5 minutes). */
export const CODE_LIFETIME_MS = 5 * 60_000;
/** How long a sign-in form stays valid once shown. */
const SIGN_IN_LIFETIME_MS = 15 * 60_000;
/** How long a rotated-out refresh token still works: the console app client's RetryGracePeriodSeconds. */
export const REFRESH_GRACE_PERIOD_MS = 10_000;
const MAX_BODY_BYTES = 64 * 1024;

export interface HostedUiOptions {
  /** cognito-local, which checks the passwords and issues the tokens. */
  readonly cognitoEndpoint: string;
  /** The only app client this hosted UI serves (the console's). */
  readonly userPoolClientId: string;
  /** Allowed `redirect_uri`s, compared exactly (the app client's callback URLs). */
  readonly callbackUrls: readonly string[];
  /** Allowed `logout_uri`s (the app client's sign-out URLs). */
  readonly logoutUrls: readonly string[];
  /** @default a free port */
  readonly port?: number;
  /** @default Date.now */
  readonly now?: () => number;
  /**
   * How long a refresh token still works once a refresh has replaced it (Cognito's
   * RetryGracePeriodSeconds), so that a test need not wait. @default REFRESH_GRACE_PERIOD_MS
   */
  readonly refreshGracePeriodMs?: number;
}

export interface HostedUi {
  /** `http://127.0.0.1:<port>`: the console's `hostedUiUrl`. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** The authorization request a sign-in form belongs to. */
interface AuthorizationRequest {
  readonly redirectUri: string;
  readonly state: string | undefined;
  readonly codeChallenge: string;
  readonly expiresAt: number;
}

/** An issued code: what it was issued for and the tokens it stands for. */
interface IssuedCode {
  readonly redirectUri: string;
  readonly codeChallenge: string;
  readonly tokens: AuthenticationResultType;
  readonly expiresAt: number;
}

/**
 * A refresh token this hosted UI has seen. cognito-local neither rotates refresh tokens nor
 * issues one on refresh, so each rotation hands out an opaque token of this hosted UI that
 * stands for the cognito-local refresh token the chain began with (the one of the sign-in,
 * which is cognito-local's own, so `staxid login --browser` may refresh at the user pool).
 */
interface RefreshGrant {
  /** cognito-local's refresh token behind the whole rotation chain. */
  readonly upstream: string;
  /** When a refresh replaced this token: it is refused once the grace period has passed. */
  readonly supersededAt?: number;
}

/** An RFC 6749 §5.2 refusal of the token endpoint. */
class OAuthError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
  ) {
    super(description);
  }
}

export async function startHostedUi(options: HostedUiOptions): Promise<HostedUi> {
  const hostedUi = new HostedUiServer(options, cognitoLocalClient(options.cognitoEndpoint));
  const server = createServer((request, response) => {
    hostedUi.handle(request, response).catch((error: unknown) => {
      const status = error instanceof OAuthError ? 400 : 500;
      if (!response.headersSent)
        page(response, status, 'Something went wrong', `<p>${escapeHtml(String(error))}</p>`);
      else response.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, HOST, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return { url: `http://${HOST}:${port}`, port, close: () => closeServer(server, hostedUi) };
}

function closeServer(server: Server, hostedUi: HostedUiServer): Promise<void> {
  hostedUi.close();
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

class HostedUiServer {
  private readonly requests = new Map<string, AuthorizationRequest>();
  private readonly codes = new Map<string, IssuedCode>();
  /** Refresh tokens that a refresh answered or replaced; others are cognito-local's own. */
  private readonly refreshGrants = new Map<string, RefreshGrant>();
  private readonly now: () => number;
  private readonly refreshGracePeriodMs: number;
  private readonly allowedOrigins: ReadonlySet<string>;
  /** Where the sign-in forms may send the browser: this page and the callback URLs' origins. */
  private readonly formTargets: string;

  constructor(
    private readonly options: HostedUiOptions,
    private readonly cognito: CognitoIdentityProviderClient,
  ) {
    this.now = options.now ?? Date.now;
    this.refreshGracePeriodMs = options.refreshGracePeriodMs ?? REFRESH_GRACE_PERIOD_MS;
    this.allowedOrigins = new Set(options.callbackUrls.map((url) => new URL(url).origin));
    this.formTargets = [...this.allowedOrigins].join(' ');
  }

  close(): void {
    this.cognito.destroy();
  }

  /**
   * Drops sign-in forms and codes past their lifetime, so that requests nobody finishes cannot
   * grow memory. Refresh grants stay: only the holder of a valid refresh token adds one.
   */
  private forgetExpired(): void {
    const now = this.now();
    for (const [id, pending] of this.requests) if (pending.expiresAt <= now) this.requests.delete(id);
    for (const [code, issued] of this.codes) if (issued.expiresAt <= now) this.codes.delete(code);
  }

  async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    this.forgetExpired();
    const url = new URL(request.url ?? '/', `http://${HOST}`);
    const route = `${request.method} ${url.pathname}`;
    switch (route) {
      case 'GET /oauth2/authorize':
        return this.authorize(url.searchParams, response);
      case 'POST /login':
        return this.login(await readForm(request), response);
      case 'OPTIONS /oauth2/token':
      case 'OPTIONS /oauth2/revoke':
        return this.preflight(request, response);
      case 'POST /oauth2/token':
        return this.token(request, response);
      case 'POST /oauth2/revoke':
        return this.revoke(request, response);
      case 'GET /logout':
        return this.logout(url.searchParams, response);
      default:
        return page(response, 404, 'Not found', `<p>No page ${escapeHtml(route)} here.</p>`);
    }
  }

  // ---- /oauth2/authorize and the sign-in form ----------------------------------------------

  private authorize(query: URLSearchParams, response: ServerResponse): void {
    if (query.get('client_id') !== this.options.userPoolClientId) {
      page(response, 400, 'Sign-in refused', '<p>An unknown <code>client_id</code> asked to sign in.</p>');
      return;
    }
    const redirectUri = query.get('redirect_uri') ?? '';
    if (!this.options.callbackUrls.includes(redirectUri)) {
      page(
        response,
        400,
        'Sign-in refused',
        '<p>The <code>redirect_uri</code> is not a callback URL of this app client (redirect_mismatch).</p>',
      );
      return;
    }
    const state = query.get('state') ?? undefined;
    if (query.get('response_type') !== 'code') {
      redirect(response, redirectUri, {
        error: 'unsupported_response_type',
        error_description: 'response_type must be code',
        state,
      });
      return;
    }
    const codeChallenge = query.get('code_challenge') ?? '';
    if (query.get('code_challenge_method') !== 'S256' || !/^[A-Za-z0-9_-]{43}$/.test(codeChallenge)) {
      redirect(response, redirectUri, {
        error: 'invalid_request',
        error_description: 'a code_challenge with code_challenge_method=S256 is required',
        state,
      });
      return;
    }
    const id = randomToken();
    this.requests.set(id, { redirectUri, state, codeChallenge, expiresAt: this.now() + SIGN_IN_LIFETIME_MS });
    page(response, 200, 'Sign in', signInForm(id), this.formTargets);
  }

  private async login(form: URLSearchParams, response: ServerResponse): Promise<void> {
    const id = form.get('request') ?? '';
    const pending = this.requests.get(id);
    if (!pending || pending.expiresAt <= this.now()) {
      this.requests.delete(id);
      return page(
        response,
        400,
        'Sign-in expired',
        '<p>This sign-in page has expired: go back to the console and sign in again.</p>',
      );
    }
    const username = form.get('username') ?? '';
    const challenge = form.get('session');
    let answer: InitiateAuthCommandOutput;
    try {
      answer = challenge
        ? await this.setNewPassword(username, challenge, form.get('new_password') ?? '')
        : await this.passwordSignIn(username, form.get('password') ?? '');
    } catch (error) {
      const name = error instanceof Error ? error.name : '';
      if (name === 'UserLambdaValidationException') {
        this.requests.delete(id);
        return redirect(response, pending.redirectUri, {
          error: 'access_denied',
          error_description: error instanceof Error ? error.message : String(error),
          state: pending.state,
        });
      }
      const message = challenge ? newPasswordRefusal(name) : 'Incorrect username or password.';
      const body = challenge ? newPasswordForm(id, username, challenge, message) : signInForm(id, message);
      return page(response, 400, challenge ? 'Set your password' : 'Sign in', body, this.formTargets);
    }
    if (answer.ChallengeName === 'NEW_PASSWORD_REQUIRED' && answer.Session) {
      return page(
        response,
        200,
        'Set your password',
        newPasswordForm(id, username, answer.Session),
        this.formTargets,
      );
    }
    if (!answer.AuthenticationResult?.AccessToken) {
      return page(
        response,
        400,
        'Sign in',
        signInForm(id, `The user pool asked for ${answer.ChallengeName}, which this page cannot answer.`),
        this.formTargets,
      );
    }
    this.requests.delete(id);
    const code = randomToken();
    this.codes.set(code, {
      redirectUri: pending.redirectUri,
      codeChallenge: pending.codeChallenge,
      tokens: answer.AuthenticationResult,
      expiresAt: this.now() + CODE_LIFETIME_MS,
    });
    redirect(response, pending.redirectUri, { code, state: pending.state });
  }

  private passwordSignIn(username: string, password: string): Promise<InitiateAuthCommandOutput> {
    return this.cognito.send(
      new InitiateAuthCommand({
        AuthFlow: 'USER_PASSWORD_AUTH',
        ClientId: this.options.userPoolClientId,
        AuthParameters: { USERNAME: username, PASSWORD: password },
      }),
    );
  }

  /**
   * The NEW_PASSWORD_REQUIRED answer, then a password sign-in with the new password: cognito-local
   * does not keep the refresh token it issues on RespondToAuthChallenge (Cognito does), so only
   * the second sign-in's tokens can be refreshed.
   */
  private async setNewPassword(
    username: string,
    challenge: string,
    newPassword: string,
  ): Promise<InitiateAuthCommandOutput> {
    const answer = await this.cognito.send(
      new RespondToAuthChallengeCommand({
        ChallengeName: 'NEW_PASSWORD_REQUIRED',
        ClientId: this.options.userPoolClientId,
        Session: challenge,
        ChallengeResponses: { USERNAME: username, NEW_PASSWORD: newPassword },
      }),
    );
    return answer.AuthenticationResult ? this.passwordSignIn(username, newPassword) : answer;
  }

  // ---- /oauth2/token -----------------------------------------------------------------------

  private preflight(request: IncomingMessage, response: ServerResponse): void {
    const cors = this.corsHeaders(request);
    if (!cors) {
      json(response, 403, { error: 'access_denied', error_description: 'origin not allowed' });
      return;
    }
    response.writeHead(204, {
      ...cors,
      'Access-Control-Allow-Methods': 'POST',
      'Access-Control-Allow-Headers': 'Content-Type, Authorization',
      'Access-Control-Max-Age': '600',
    });
    response.end();
  }

  private async token(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const headers = { ...this.corsHeaders(request), 'Cache-Control': 'no-store', Pragma: 'no-cache' };
    try {
      const form = await readForm(request);
      if (form.get('client_id') !== this.options.userPoolClientId) {
        throw new OAuthError('invalid_client', 'client_id is missing or not an app client of this pool');
      }
      const grant = form.get('grant_type');
      const tokens =
        grant === 'authorization_code'
          ? this.exchangeCode(form)
          : grant === 'refresh_token'
            ? await this.refresh(form)
            : undefined;
      if (!tokens) {
        throw new OAuthError(
          'unsupported_grant_type',
          'grant_type must be authorization_code or refresh_token',
        );
      }
      json(response, 200, tokenAnswer(tokens, this.now()), headers);
    } catch (error) {
      if (!(error instanceof OAuthError)) throw error;
      json(response, 400, { error: error.error, error_description: error.description }, headers);
    }
  }

  /** RFC 6749 §4.1.3 and RFC 7636 §4.6: a code is used once, for its redirect URI and verifier only. */
  private exchangeCode(form: URLSearchParams): AuthenticationResultType {
    const code = required(form, 'code');
    const redirectUri = required(form, 'redirect_uri');
    const verifier = required(form, 'code_verifier');
    const issued = this.codes.get(code);
    this.codes.delete(code);
    if (!issued || issued.expiresAt <= this.now()) {
      throw new OAuthError('invalid_grant', 'the code is unknown, already used or expired');
    }
    if (issued.redirectUri !== redirectUri) {
      throw new OAuthError('invalid_grant', 'redirect_uri differs from the one the code was issued for');
    }
    if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier) || s256(verifier) !== issued.codeChallenge) {
      throw new OAuthError('invalid_grant', 'code_verifier does not match the code_challenge');
    }
    return issued.tokens;
  }

  /**
   * The refresh_token grant with rotation (RefreshTokenRotation ENABLED): new tokens and a new
   * refresh token; the presented one keeps working for the grace period only, so a request
   * retried after a lost answer still succeeds but an old copy of the token does not.
   */
  private async refresh(form: URLSearchParams): Promise<AuthenticationResultType> {
    const refreshToken = required(form, 'refresh_token');
    const grant = this.refreshGrants.get(refreshToken) ?? { upstream: refreshToken };
    if (grant.supersededAt !== undefined && this.now() >= grant.supersededAt + this.refreshGracePeriodMs) {
      throw new OAuthError('invalid_grant', 'the refresh token was replaced by a newer one (rotation)');
    }
    const tokens = await this.upstreamRefresh(grant.upstream);
    const next = randomToken();
    this.refreshGrants.set(next, { upstream: grant.upstream });
    this.refreshGrants.set(refreshToken, { ...grant, supersededAt: grant.supersededAt ?? this.now() });
    return { ...tokens, RefreshToken: next };
  }

  private async upstreamRefresh(refreshToken: string): Promise<AuthenticationResultType> {
    try {
      const answer = await this.cognito.send(
        new InitiateAuthCommand({
          AuthFlow: 'REFRESH_TOKEN_AUTH',
          ClientId: this.options.userPoolClientId,
          AuthParameters: { REFRESH_TOKEN: refreshToken },
        }),
      );
      if (!answer.AuthenticationResult?.AccessToken) throw new Error('no tokens');
      return answer.AuthenticationResult;
    } catch (error) {
      throw new OAuthError(
        'invalid_grant',
        `the refresh token was refused (${error instanceof Error ? error.message : error})`,
      );
    }
  }

  // ---- /oauth2/revoke ----------------------------------------------------------------------

  /**
   * RFC 7009: revokes the refresh token's whole rotation chain at cognito-local, so every token
   * of the chain is refused from now on; 200 also for a token it does not know.
   */
  private async revoke(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const headers = { ...this.corsHeaders(request), 'Cache-Control': 'no-store' };
    try {
      const form = await readForm(request);
      if (form.get('client_id') !== this.options.userPoolClientId) {
        throw new OAuthError('invalid_client', 'client_id is missing or not an app client of this pool');
      }
      const token = required(form, 'token');
      const grant = this.refreshGrants.get(token) ?? { upstream: token };
      await this.cognito
        .send(new RevokeTokenCommand({ ClientId: this.options.userPoolClientId, Token: grant.upstream }))
        .catch((error: unknown) => {
          // cognito-local's answer for a token it does not hold: nothing to revoke.
          if (!(error instanceof Error && error.name === 'NotAuthorizedException')) throw error;
        });
      response.writeHead(200, headers);
      response.end();
    } catch (error) {
      if (!(error instanceof OAuthError)) throw error;
      json(response, 400, { error: error.error, error_description: error.description }, headers);
    }
  }

  /** Cognito answers CORS for the origins of the app client's callback URLs. */
  private corsHeaders(request: IncomingMessage): Record<string, string> | undefined {
    const origin = request.headers.origin;
    if (!origin || !this.allowedOrigins.has(origin)) return undefined;
    return { 'Access-Control-Allow-Origin': origin, Vary: 'Origin' };
  }

  // ---- /logout -----------------------------------------------------------------------------

  private logout(query: URLSearchParams, response: ServerResponse): void {
    const logoutUri = query.get('logout_uri') ?? '';
    if (
      query.get('client_id') !== this.options.userPoolClientId ||
      !this.options.logoutUrls.includes(logoutUri)
    ) {
      page(
        response,
        400,
        'Sign-out refused',
        '<p>The <code>client_id</code> or <code>logout_uri</code> is not registered.</p>',
      );
      return;
    }
    response.writeHead(302, { Location: logoutUri });
    response.end();
  }
}

/** base64url(SHA-256(verifier)), RFC 7636 §4.2. */
function s256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

function required(form: URLSearchParams, name: string): string {
  const value = form.get(name);
  if (!value) throw new OAuthError('invalid_request', `${name} is required`);
  return value;
}

/** The token endpoint's answer, with `expires_in` read from the access token. */
function tokenAnswer(tokens: AuthenticationResultType, now: number): Record<string, unknown> {
  const accessToken = tokens.AccessToken ?? '';
  const exp = expiryOf(accessToken);
  return {
    access_token: accessToken,
    id_token: tokens.IdToken,
    ...(tokens.RefreshToken && { refresh_token: tokens.RefreshToken }),
    token_type: 'Bearer',
    expires_in: exp === undefined ? 3600 : Math.max(0, Math.round(exp - now / 1000)),
  };
}

function expiryOf(jwt: string): number | undefined {
  try {
    const claims = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      exp?: unknown;
    };
    return typeof claims.exp === 'number' ? claims.exp : undefined;
  } catch {
    return undefined;
  }
}

function newPasswordRefusal(errorName: string): string {
  return errorName === 'InvalidPasswordException'
    ? 'The new password is too weak: use at least 8 characters with upper and lower case letters, a digit and a symbol.'
    : 'The password could not be set: go back to the console and sign in again.';
}

// ---- HTTP helpers ------------------------------------------------------------------------------

async function readForm(request: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new OAuthError('invalid_request', 'the request body is too large');
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function redirect(response: ServerResponse, uri: string, params: Record<string, string | undefined>): void {
  const target = new URL(uri);
  for (const [name, value] of Object.entries(params))
    if (value !== undefined) target.searchParams.set(name, value);
  response.writeHead(302, { Location: target.toString(), 'Cache-Control': 'no-store' });
  response.end();
}

function json(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

/**
 * An HTML page; `formTargets` are the origins its form may end up at: the sign-in form's answer
 * is a redirect to the console, and the browser holds redirects after a submit to `form-action`.
 */
function page(response: ServerResponse, status: number, title: string, body: string, formTargets = ''): void {
  response.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Security-Policy': `default-src 'none'; form-action 'self' ${formTargets}; frame-ancestors 'none'`,
  });
  response.end(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} · staxid (local hosted UI)</title></head>` +
      `<body><main><h1>${escapeHtml(title)}</h1>` +
      '<p>The LOCAL stand-in of the Cognito hosted UI (npm start): staxid users of cognito-local only, no corporate IdP.</p>' +
      `${body}</main></body></html>`,
  );
}

function errorLine(message: string | undefined): string {
  return message ? `<p role="alert">${escapeHtml(message)}</p>` : '';
}

function signInForm(request: string, message?: string): string {
  return `${errorLine(message)}<form method="post" action="/login" aria-label="Sign in">
<input type="hidden" name="request" value="${escapeHtml(request)}">
<p><label for="username">Username</label> <input id="username" name="username" autocomplete="username" required autofocus></p>
<p><label for="password">Password</label> <input id="password" name="password" type="password" autocomplete="current-password" required></p>
<p><button type="submit">Sign in</button></p></form>`;
}

function newPasswordForm(request: string, username: string, session: string, message?: string): string {
  return `${errorLine(message)}<p>This is your first sign-in: choose the password you will use from now on.</p>
<form method="post" action="/login" aria-label="Set your password">
<input type="hidden" name="request" value="${escapeHtml(request)}">
<input type="hidden" name="username" value="${escapeHtml(username)}">
<input type="hidden" name="session" value="${escapeHtml(session)}">
<p><label for="new_password">New password</label> <input id="new_password" name="new_password" type="password" autocomplete="new-password" required autofocus></p>
<p><button type="submit">Set password and sign in</button></p></form>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
