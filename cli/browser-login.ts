import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readPublicAuthConfig } from './api';
import { awsCognitoEndpoint, type CognitoTokens } from './cognito';
import type { CliContext } from './context';
import { CliError, UsageError } from './errors';
import { passwordSession } from './session';
import type { PasswordSession } from './store';

/**
 * `staxid login --browser`: a person who signs in through a corporate IdP has no staxid
 * password, so the CLI signs them in the way the console does, through Cognito's hosted UI
 * with the authorization code grant and PKCE (S256, RFC 7636), and receives the code on a
 * loopback redirect (RFC 8252 §7.3). Cognito compares `redirect_uri` exactly with the app
 * client's callback URLs, port included, and allows http only for `localhost`: so the
 * redirect is `http://localhost:<port>/callback` on a fixed port registered on the console
 * app client (DEFAULT_CALLBACK_PORT, or another registered one with `--callback-port`).
 * The tokens are kept as a password sign-in keeps them, and refreshed the same way.
 */

/** The loopback port registered on the console app client (lib/identity/user-directory.ts). */
export const DEFAULT_CALLBACK_PORT = 28415;

/**
 * The `API.endpoints` entry of `GET /20190206/public/config` that names the hosted UI: the
 * Stax schema of public.ReadConfig allows no extra field anywhere, but endpoints is a list.
 */
export const HOSTED_UI_ENDPOINT_NAME = 'staxid-hosted-ui';

/** Stand-ins for `--hosted-ui` and `--callback-port`. */
export const BROWSER_LOGIN_ENV = { hostedUi: 'STAXID_HOSTED_UI_URL', port: 'STAXID_CALLBACK_PORT' } as const;

/** How long the CLI waits for the browser to come back. */
const DEFAULT_TIMEOUT_MS = 5 * 60_000;

/** Only the loopback interface: nothing else on the network can reach the callback. */
const LOOPBACK_HOST = '127.0.0.1';

const SCOPES = 'openid email profile';

/** The callback URL for `port`, as it must be registered on the app client. */
export function cliCallbackUrl(port: number): string {
  return `http://localhost:${port}/callback`;
}

export interface BrowserLoginSettings {
  /** The hosted UI's base URL (`--hosted-ui`), else `$STAXID_HOSTED_UI_URL`, else the public config's. */
  readonly hostedUi?: string;
  /** `--callback-port`, else `$STAXID_CALLBACK_PORT`, else DEFAULT_CALLBACK_PORT. */
  readonly callbackPort?: string;
  /**
   * `--idp`: the name of the corporate IdP on the user pool, sent as `identity_provider` so that
   * the hosted UI goes straight to it instead of showing its choice of sign-in.
   */
  readonly identityProvider?: string;
  /** false with `--no-open`: the URL is only printed. */
  readonly open: boolean;
  /** @default 5 minutes */
  readonly timeoutMs?: number;
}

/** The parts of `staxid login`'s options a browser sign-in checks or uses. */
export interface BrowserLoginRequest {
  readonly username?: string;
  readonly accessKey?: string;
  /** An explicit Cognito endpoint (option, environment, local.json); else AWS's for the region. */
  readonly cognitoEndpoint?: string;
  readonly browser: BrowserLoginSettings;
}

/** A person's session from a hosted-UI sign-in in the browser. */
export async function browserSession(
  context: CliContext,
  api: string,
  request: BrowserLoginRequest,
): Promise<PasswordSession> {
  if (request.username !== undefined || request.accessKey !== undefined) {
    throw new UsageError(
      '--browser signs a person in through the hosted UI: leave out --username and --access-key (and $STAXID_ACCESS_KEY).',
    );
  }
  const settings = request.browser;
  const port = callbackPort(settings.callbackPort ?? context.env[BROWSER_LOGIN_ENV.port]);
  const config = await readPublicAuthConfig(api);
  const hostedUi = hostedUiBaseUrl(
    settings.hostedUi ?? context.env[BROWSER_LOGIN_ENV.hostedUi] ?? (await publishedHostedUi(api)),
  );
  const client = { hostedUi, clientId: config.userPoolWebClientId, redirectUri: cliCallbackUrl(port) };
  const tokens = await signInWithBrowser(context, client, port, settings);
  return passwordSession(
    context.now(),
    {
      method: 'password',
      api,
      region: config.region,
      username: usernameOf(tokens.IdToken),
      cognitoEndpoint: request.cognitoEndpoint ?? awsCognitoEndpoint(config.region),
      clientId: config.userPoolWebClientId,
    },
    tokens,
  );
}

/** The hosted UI the API's public config names, if it names one (older installations do not). */
async function publishedHostedUi(api: string): Promise<string | undefined> {
  try {
    const response = await fetch(`${api}/20190206/public/config`, {
      headers: { Accept: 'application/json' },
      signal: AbortSignal.timeout(30_000),
    });
    const body = (await response.json()) as { API?: { endpoints?: unknown } };
    const endpoints: unknown[] = Array.isArray(body.API?.endpoints) ? body.API.endpoints : [];
    const entry = endpoints.find(
      (endpoint) => (endpoint as { name?: unknown } | null)?.name === HOSTED_UI_ENDPOINT_NAME,
    ) as { endpoint?: unknown } | undefined;
    return typeof entry?.endpoint === 'string' && entry.endpoint !== '' ? entry.endpoint : undefined;
  } catch {
    // The config was read a moment ago: a failure now only means it names no hosted UI.
    return undefined;
  }
}

/** The app client as the hosted UI knows it. */
interface HostedUiClient {
  readonly hostedUi: string;
  readonly clientId: string;
  readonly redirectUri: string;
}

/** What the loopback server received: a code, or a refusal to report. */
/** What came to the callback: this login's code, this login's refusal, or an answer for another (or no) login. */
type CallbackResult = { readonly code: string } | { readonly error: CliError } | { readonly stray: true };

/**
 * Listens on the loopback port, sends the person to the authorize URL, and waits (at most
 * the timeout) for the one callback, whose code is exchanged before the browser is answered.
 */
async function signInWithBrowser(
  context: CliContext,
  client: HostedUiClient,
  port: number,
  settings: BrowserLoginSettings,
): Promise<CognitoTokens> {
  const state = randomUrlSafe();
  const verifier = randomUrlSafe();
  const authorizeUrl = authorizationUrl(client, state, s256(verifier), settings.identityProvider);
  const timeoutMs = settings.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let finish: (outcome: { tokens: CognitoTokens } | { error: Error }) => void = () => {};
  const outcome = new Promise<{ tokens: CognitoTokens } | { error: Error }>((resolve) => {
    finish = resolve;
  });
  let received = false;
  const server = createServer((request, response) => {
    const result = callbackResult(request, state);
    if (result === undefined)
      return answerPage(response, 404, 'Not found', 'This is not a staxid sign-in page.');
    // One answer per login: a reload of the callback page must not spend the code twice.
    if (received) return answerPage(response, 409, 'Already received', 'You can close this tab.');
    // Not this login's: refused, but the login keeps waiting, so a stray or hostile request to
    // the well-known port cannot end it.
    if ('stray' in result) {
      return answerPage(
        response,
        400,
        'Not this sign-in',
        'This answer does not belong to the staxid login that is waiting (its state differs). You can close this tab.',
      );
    }
    received = true;
    if ('error' in result) {
      answerPage(response, 400, 'Sign-in failed', `${result.error.message} You can close this tab.`);
      return finish({ error: result.error });
    }
    exchangeCode(client, result.code, verifier).then(
      (tokens) => {
        answerPage(response, 200, 'Signed in', 'You are signed in to staxid. You can close this tab.');
        finish({ tokens });
      },
      (error: Error) => {
        answerPage(response, 502, 'Sign-in failed', `${error.message} You can close this tab.`);
        finish({ error });
      },
    );
  });
  await listen(server, port);
  const timer = setTimeout(
    () =>
      finish({
        error: new CliError(
          `No sign-in came back from the browser within ${duration(timeoutMs)}: run \`staxid login --browser\` again.`,
        ),
      }),
    timeoutMs,
  );
  try {
    context.err(`To sign in, open this URL in your browser:\n\n  ${authorizeUrl}\n`);
    if (settings.open) openInBrowser(context, authorizeUrl);
    context.err(`Waiting for the browser to come back to ${client.redirectUri} ...`);
    const result = await outcome;
    if ('error' in result) throw result.error;
    return result.tokens;
  } finally {
    clearTimeout(timer);
    await closeServer(server);
  }
}

/** `GET <hosted UI>/oauth2/authorize` with the code flow, S256 and the loopback redirect. */
function authorizationUrl(
  client: HostedUiClient,
  state: string,
  codeChallenge: string,
  identityProvider: string | undefined,
): string {
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: client.redirectUri,
    scope: SCOPES,
    state,
    code_challenge: codeChallenge,
    code_challenge_method: 'S256',
  });
  if (identityProvider !== undefined) query.set('identity_provider', identityProvider);
  return `${client.hostedUi}/oauth2/authorize?${query}`;
}

/**
 * What a request to the loopback server means: undefined for anything but `GET /callback`
 * (a browser asks for /favicon.ico too); stray when `state` is not this sign-in's exactly
 * (another page's redirect, or forged, RFC 6749 §10.12); a refusal when the hosted UI sent `error`.
 */
function callbackResult(request: IncomingMessage, state: string): CallbackResult | undefined {
  const url = new URL(request.url ?? '/', `http://${LOOPBACK_HOST}`);
  if (request.method !== 'GET' || url.pathname !== '/callback') return undefined;
  const query = url.searchParams;
  if (query.get('state') !== state) return { stray: true };
  const error = query.get('error');
  if (error !== null) return { error: new CliError(refusalInWords(error, query.get('error_description'))) };
  const code = query.get('code');
  if (!code) return { error: new CliError('The hosted UI came back without an authorization code.') };
  return { code };
}

/** RFC 6749 §4.1.2.1 error codes, said in words, with the IdP's own description when it gave one. */
function refusalInWords(error: string, description: string | null): string {
  const words: Record<string, string> = {
    access_denied: 'The sign-in was refused',
    invalid_request: 'The hosted UI found the sign-in request malformed',
    unauthorized_client: 'The app client may not sign in this way',
    unsupported_response_type: 'The hosted UI does not offer the authorization code flow to this app client',
    invalid_scope: 'The app client may not ask for the scopes openid, email and profile',
    server_error: 'The hosted UI or the identity provider failed',
    temporarily_unavailable: 'The hosted UI is unavailable for now',
  };
  const said = words[error] ?? `The hosted UI answered ${error}`;
  return description ? `${said}: ${description}.` : `${said} (${error}).`;
}

/** `POST <hosted UI>/oauth2/token`, form-encoded: the code, the redirect URI and the PKCE verifier. */
async function exchangeCode(client: HostedUiClient, code: string, verifier: string): Promise<CognitoTokens> {
  const url = `${client.hostedUi}/oauth2/token`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: client.clientId,
        code,
        redirect_uri: client.redirectUri,
        code_verifier: verifier,
      }),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause?.message ?? (error as Error).message;
    throw new CliError(`Cannot reach the hosted UI at ${url}: ${cause}`);
  }
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok) {
    const reason = [body.error, body.error_description].filter((part) => typeof part === 'string').join(': ');
    throw new CliError(
      `${url} refused the authorization code (${response.status}): ${reason || 'no reason given'}.`,
    );
  }
  const { access_token, id_token, refresh_token, expires_in } = body;
  if (typeof access_token !== 'string' || typeof id_token !== 'string') {
    throw new CliError(`${url} answered without access_token and id_token.`);
  }
  return {
    AccessToken: access_token,
    IdToken: id_token,
    ...(typeof refresh_token === 'string' && { RefreshToken: refresh_token }),
    ...(typeof expires_in === 'number' && { ExpiresIn: expires_in }),
  };
}

/**
 * A label for the session (what `staxid` shows as the username): the ID token's
 * `cognito:username`, read without verification since the token came straight from the
 * hosted UI over TLS, and only names the session.
 */
function usernameOf(idToken: string): string {
  try {
    const claims = JSON.parse(Buffer.from(idToken.split('.')[1] ?? '', 'base64url').toString('utf8'));
    const name = claims['cognito:username'] ?? claims.email;
    if (typeof name === 'string' && name !== '') return name;
  } catch {
    // not a JWT: fall through
  }
  throw new CliError('The hosted UI issued an ID token without cognito:username.');
}

/** The hosted UI's base URL: https, or http on a loopback host (the local stand-in). */
function hostedUiBaseUrl(value: string | undefined): string {
  if (value === undefined || value === '') {
    throw new UsageError(
      `The API's public config names no hosted UI: pass --hosted-ui https://<domain prefix>.auth.<region>.amazoncognito.com (or set $${BROWSER_LOGIN_ENV.hostedUi}); the console's config.json names it as hostedUiUrl.`,
    );
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--hosted-ui ${JSON.stringify(value)} is not a URL.`);
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new UsageError(
      `--hosted-ui must be an https URL (http only for 127.0.0.1 or localhost), not ${value}.`,
    );
  }
  if (url.search !== '' || url.hash !== '') {
    throw new UsageError(
      `--hosted-ui is the hosted UI's base URL, without a query or fragment: not ${value}.`,
    );
  }
  return url.toString().replace(/\/+$/, '');
}

function callbackPort(value: string | undefined): number {
  if (value === undefined) return DEFAULT_CALLBACK_PORT;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 1024 || port > 65535) {
    throw new UsageError(
      `--callback-port ${JSON.stringify(value)} is not a port from 1024 to 65535 registered as http://localhost:<port>/callback on the app client.`,
    );
  }
  return port;
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new CliError(
              `Port ${port} on ${LOOPBACK_HOST} is in use (another \`staxid login --browser\`?): stop what holds it, or pass --callback-port <port> with another port registered as http://localhost:<port>/callback on the app client.`,
            )
          : new CliError(`Cannot listen on ${LOOPBACK_HOST}:${port} for the sign-in: ${error.message}`),
      );
    });
    server.listen(port, LOOPBACK_HOST, () => resolve());
  });
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** The small page the browser is left on: what happened, and never a token. */
function answerPage(response: ServerResponse, status: number, title: string, text: string): void {
  response.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
    'Referrer-Policy': 'no-referrer',
  });
  response.end(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} · staxid</title></head>` +
      `<body><main><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p></main></body></html>`,
  );
}

/**
 * The platform's URL opener as a program and its arguments (never a shell string). On
 * Windows, `start` is a cmd.exe built-in that would parse the URL's `&`s: the URL handler
 * of url.dll opens it as one argument instead.
 */
export function openerCommand(platform: NodeJS.Platform, url: string): [string, string[]] {
  if (platform === 'darwin') return ['open', [url]];
  if (platform === 'win32') return ['rundll32.exe', ['url.dll,FileProtocolHandler', url]];
  return ['xdg-open', [url]];
}

/** Starts the opener detached; if there is none, the printed URL is the way. */
function openInBrowser(context: CliContext, url: string): void {
  const [command, args] = openerCommand(process.platform, url);
  try {
    const child = spawn(command, args, { detached: true, stdio: 'ignore' });
    child.on('error', () => context.err(`(Could not run ${command}: open the URL above yourself.)`));
    child.unref();
  } catch {
    context.err(`(Could not run ${command}: open the URL above yourself.)`);
  }
}

function duration(ms: number): string {
  return ms >= 60_000 ? `${ms / 60_000} minutes` : `${ms / 1000} seconds`;
}

function randomUrlSafe(): string {
  return randomBytes(32).toString('base64url');
}

/** base64url(SHA-256(verifier)), RFC 7636 §4.2. */
function s256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
