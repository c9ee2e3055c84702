/**
 * `staxid login --browser` (cli/browser-login.ts) end to end: the CLI runs in process, a
 * fetch-driven "browser" follows the printed authorize URL to the hosted-UI stand-in
 * (local/hosted-ui.ts, backed by a real cognito-local), posts its sign-in form and follows
 * the redirect to the CLI's loopback server. The session is then used and refreshed as a
 * password sign-in's is; a callback with a forged state is refused while the login keeps
 * waiting; an IdP refusal, a timeout and a busy port each end the login with words that say
 * what happened.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliCallbackUrl, HOSTED_UI_ENDPOINT_NAME, openerCommand } from '@/cli/browser-login';
import type { CliContext } from '@/cli/context';
import { CliError, UsageError } from '@/cli/errors';
import { login } from '@/cli/login';
import { run } from '@/cli/staxid';
import { freePort } from '@/local/dynamodb-local';
import { type HostedUi, startHostedUi } from '@/local/hosted-ui';
import { type FakeApi, startFakeApiOver } from '@/test/cli/fake-staxid-api';
import { runCli } from '@/test/cli/run-cli';
import { startTestCognito, type TestCognito } from '@/test/support/cognito-local';

const PASSWORD = 'Corporate-Idp-Passw0rd!';
const HOUR_MS = 3600_000;

let cognito: TestCognito;
let api: FakeApi;
let hostedUi: HostedUi;
let port: number;
let root: string;
let env: NodeJS.ProcessEnv;
let userCount = 0;

/** A port that was free a moment ago: the CLI's fixed callback port for this file. */

beforeAll(async () => {
  cognito = await startTestCognito();
  api = await startFakeApiOver(cognito);
  port = await freePort();
  hostedUi = await startHostedUi({
    cognitoEndpoint: cognito.endpoint,
    userPoolClientId: cognito.userPoolClientId,
    callbackUrls: [cliCallbackUrl(port)],
    logoutUrls: [],
  });
  root = mkdtempSync(join(tmpdir(), 'staxid-browser-login-'));
});
afterAll(async () => {
  await hostedUi?.close();
  await api?.stop();
  await cognito?.stop();
  rmSync(root, { recursive: true, force: true });
});
beforeEach(() => {
  env = { STAXID_CONFIG_DIR: join(mkdtempSync(join(root, 'config-')), 'staxid') };
});

/** A confirmed user of the pool, as a federated user is once their IdP has vouched for them. */
async function createUser(): Promise<string> {
  userCount += 1;
  const username = `idp-user-${userCount}`;
  await cognito.createUser(username, PASSWORD);
  return username;
}

/** What the browser saw when it came back to the loopback: the page the CLI answered. */
interface BrowserVisit {
  readonly status: number;
  readonly html: string;
}

/** A browser: the authorize URL, the sign-in form, then the hosted UI's redirect (maybe altered). */
async function browse(
  authorizeUrl: string,
  username: string,
  alterRedirect: (location: URL) => URL = (location) => location,
): Promise<BrowserVisit> {
  const form = await fetch(authorizeUrl);
  expect(form.status).toBe(200);
  const request = /name="request" value="([^"]*)"/.exec(await form.text())?.[1] ?? '';
  const signedIn = await fetch(`${hostedUi.url}/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ request, username, password: PASSWORD }),
    redirect: 'manual',
  });
  expect(signedIn.status).toBe(302);
  const back = alterRedirect(new URL(signedIn.headers.get('location') ?? ''));
  const page = await fetch(back);
  return { status: page.status, html: await page.text() };
}

/** A CLI context whose stderr hands the printed authorize URL to `browser` as soon as it appears. */
function contextWithBrowser(browser: (authorizeUrl: string) => Promise<BrowserVisit>) {
  const err: string[] = [];
  let visit: Promise<BrowserVisit> | undefined;
  const context: CliContext = {
    env,
    now: () => new Date(),
    out: (line) => err.push(`stdout: ${line}`),
    err: (line) => {
      err.push(line);
      const url = /(\S+\/oauth2\/authorize\?\S+)/.exec(line)?.[1];
      if (url && !visit) visit = browser(url);
    },
    readStdin: async () => '',
    promptHidden: () => Promise.reject(new UsageError('no terminal in tests')),
    selfCommand: [],
  };
  return { context, err, visited: () => visit };
}

const loginArgs = (...extra: string[]) => [
  'login',
  '--api',
  api.url,
  '--browser',
  '--hosted-ui',
  hostedUi.url,
  '--callback-port',
  String(port),
  '--cognito-endpoint',
  cognito.endpoint,
  '--no-open',
  ...extra,
];

const savedSession = () =>
  JSON.parse(readFileSync(join(env.STAXID_CONFIG_DIR ?? '', 'credentials.json'), 'utf8')).profiles.default;

describe('staxid login --browser', () => {
  it('signs in through the hosted UI, keeps the session as a password sign-in does, and refreshes it', async () => {
    const username = await createUser();
    const { context, err, visited } = contextWithBrowser((url) => browse(url, username));

    const code = await run(loginArgs(), context);

    expect(err.join('\n')).not.toContain('stdout:');
    expect(code).toBe(0);
    const authorize = new URL(/(\S+\/oauth2\/authorize\?\S+)/.exec(err.join('\n'))?.[1] ?? '');
    expect(Object.fromEntries(authorize.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: cognito.userPoolClientId,
      redirect_uri: `http://localhost:${port}/callback`,
      scope: 'openid email profile',
      code_challenge_method: 'S256',
    });
    expect(authorize.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(err).toContain(`Signed in to ${api.url} (profile default).`);

    const page = await visited();
    expect(page?.status).toBe(200);
    expect(page?.html).toContain('You can close this tab.');
    const session = savedSession();
    expect(session).toMatchObject({
      method: 'password',
      api: api.url,
      region: 'eu-west-2',
      username,
      cognitoEndpoint: cognito.endpoint,
      clientId: cognito.userPoolClientId,
    });
    for (const token of [session.accessToken, session.idToken, session.refreshToken]) {
      expect(token).toEqual(expect.any(String));
      expect(page?.html).not.toContain(token);
    }
    expect(statSync(join(env.STAXID_CONFIG_DIR ?? '', 'credentials.json')).mode & 0o777).toBe(0o600);

    const whoami = await runCli(['whoami'], { env });
    expect(whoami.code).toBe(0);
    expect(JSON.parse(whoami.stdout)).toMatchObject({ Kind: 'user' });

    // A day on, the access token (cognito-local: 24 hours) has expired: whoami refreshes it.
    const later = await runCli(['whoami'], { env, now: new Date(Date.now() + 25 * HOUR_MS) });
    expect(later.code).toBe(0);
    expect(savedSession().accessToken).not.toBe(session.accessToken);
    expect(savedSession().refreshToken).toBe(session.refreshToken);
  });

  it('finds the hosted UI in the public config when --hosted-ui is not given, and names the IdP', async () => {
    const publishing = await startPublishingApi();
    try {
      const username = await createUser();
      const { context, err } = contextWithBrowser((url) => browse(url, username));
      const args = loginArgs('--idp', 'CorpIdP').filter(
        (arg) => arg !== '--hosted-ui' && arg !== hostedUi.url,
      );
      args[2] = publishing.url;

      const code = await run(args, context);

      const authorize = new URL(/(\S+\/oauth2\/authorize\?\S+)/.exec(err.join('\n'))?.[1] ?? '');
      expect(authorize.origin).toBe(hostedUi.url);
      expect(authorize.searchParams.get('identity_provider')).toBe('CorpIdP');
      expect(code).toBe(0);
      expect(savedSession()).toMatchObject({ method: 'password', api: publishing.url, username });
    } finally {
      await new Promise<void>((resolve) => publishing.server.close(() => resolve()));
    }
  });

  it('refuses a callback whose state is not this login’s, and keeps waiting for the genuine one', async () => {
    const username = await createUser();
    let stray: BrowserVisit | undefined;
    const { context, err, visited } = contextWithBrowser(async (url) => {
      // Another page (or a hostile one) hits the well-known port first, with a code of its own.
      const forged = new URL(cliCallbackUrl(port));
      forged.search = new URLSearchParams({ code: 'attacker-code', state: 'forged-state' }).toString();
      const page = await fetch(forged);
      stray = { status: page.status, html: await page.text() };
      return browse(url, username);
    });

    const code = await run(loginArgs(), context);

    expect(stray?.status).toBe(400);
    expect(stray?.html).toContain('does not belong to the staxid login that is waiting');
    expect(code).toBe(0);
    expect((await visited())?.status).toBe(200);
    expect(err.join('\n')).not.toContain('state differs');
    expect(savedSession()).toMatchObject({ method: 'password', username });
  });

  it('says in words why the IdP refused the sign-in', async () => {
    const { context, err, visited } = contextWithBrowser(async (url) => {
      const state = new URL(url).searchParams.get('state') ?? '';
      const refusal = new URL(cliCallbackUrl(port));
      refusal.search = new URLSearchParams({
        error: 'access_denied',
        error_description: 'Your staxid user is deactivated',
        state,
      }).toString();
      const page = await fetch(refusal);
      return { status: page.status, html: await page.text() };
    });

    const code = await run(loginArgs(), context);

    expect(code).toBe(1);
    expect(err).toContain('staxid: The sign-in was refused: Your staxid user is deactivated.');
    expect((await visited())?.html).toContain('The sign-in was refused: Your staxid user is deactivated.');
  });

  it('gives up after the timeout when the browser never comes back', async () => {
    const { context } = contextWithBrowser(() => new Promise<BrowserVisit>(() => {}));
    const started = Date.now();

    const attempt = login(context, {
      api: api.url,
      profile: 'default',
      secretKeyStdin: false,
      passwordStdin: false,
      browser: { hostedUi: hostedUi.url, callbackPort: String(port), open: false, timeoutMs: 300 },
    });

    await expect(attempt).rejects.toThrow(
      new CliError(
        'No sign-in came back from the browser within 0.3 seconds: run `staxid login --browser` again.',
      ),
    );
    expect(Date.now() - started).toBeLessThan(5000);
    // The port is free again for the next attempt.
    await expect(freePortIsBindable(port)).resolves.toBe(true);
  });

  it('refuses to start when the callback port is in use', async () => {
    const squatter: Server = createServer();
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
    try {
      const result = await runCli(loginArgs(), { env });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`Port ${port} on 127.0.0.1 is in use`);
      expect(result.stderr).toContain('--callback-port <port>');
      expect(result.stderr).not.toContain('oauth2/authorize');
    } finally {
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
    }
  });

  it('refuses --browser with --username, a plain-http hosted UI, and a port out of range', async () => {
    const cases: [string[], string][] = [
      [loginArgs('--username', 'alice'), 'leave out --username and --access-key'],
      [
        ['login', '--api', api.url, '--browser', '--hosted-ui', 'http://idp.example.com'],
        '--hosted-ui must be an https URL',
      ],
      [['login', '--api', api.url, '--browser', '--hosted-ui', hostedUi.url, '--callback-port', '80'], '80'],
      [['login', '--api', api.url, '--browser'], 'names no hosted UI: pass --hosted-ui'],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(args, { env });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(message);
    }
  });
});

describe('the browser opener', () => {
  it('runs the platform opener with the URL as one argument, never through a shell', () => {
    const url = 'https://idp.example/oauth2/authorize?a=1&b=2';
    expect(openerCommand('linux', url)).toEqual(['xdg-open', [url]]);
    expect(openerCommand('darwin', url)).toEqual(['open', [url]]);
    expect(openerCommand('win32', url)).toEqual(['rundll32.exe', ['url.dll,FileProtocolHandler', url]]);
  });
});

/**
 * An API whose public config names the hosted UI as the lambdas are to publish it: the fake
 * API's config with a `staxid-hosted-ui` entry in API.endpoints.
 */
async function startPublishingApi(): Promise<{ url: string; server: Server }> {
  const config = (await (await fetch(`${api.url}/20190206/public/config`)).json()) as {
    API: { endpoints: unknown[] };
  };
  config.API.endpoints.push({ name: HOSTED_UI_ENDPOINT_NAME, endpoint: hostedUi.url, region: 'eu-west-2' });
  const server = createServer((request, response) => {
    const found = request.url === '/20190206/public/config';
    response.writeHead(found ? 200 : 404, { 'Content-Type': 'application/json' });
    response.end(JSON.stringify(found ? config : { Error: 'not here' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

async function freePortIsBindable(candidate: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(candidate, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
