/**
 * What every console test in headless Chromium needs: the whole local service started
 * in-process with the console's routes, the Debian Chromium (driven by playwright-core;
 * never a browser download), the API as the bootstrap token for setup that is not under
 * test, the invitations in the local outbox, and screenshots under `test-results/<name>/`.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserServer, chromium, type Page } from 'playwright-core';
import { ROUTES } from '@/lambdas/routes';
import { type ApiLogger, REPO_ROOT } from '@/local/api-gateway-adapter';
import { CONSOLE_ROUTES } from '@/local/console';
import { type LocalService, type LocalServiceOptions, startLocalService } from '@/local/service';
import { killIfRunning } from '@/test/support/processes';

/** The flags issue 7 names: headless, no sandbox, nothing fetched from the network. */
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** The password every test person chooses at their first sign-in. */
export const PASSWORD = 'Console-Passw0rd!';

const quiet: ApiLogger = { info: () => {}, error: () => {} };

export interface ConsoleHarness {
  readonly home: string;
  readonly service: LocalService;
  readonly browser: Browser;
  /** The API as the bootstrap Admin token; `path` without a version is under `/20190206`. */
  api<T>(method: string, path: string, body?: unknown): Promise<T>;
  /** The invitation in the local outbox (Cognito's mail): username and temporary password. */
  invitation(email: string): { Username: string; TemporaryPassword: string };
  inviteThroughApi(email: string, firstName: string, role: string): Promise<void>;
  newPage(): Promise<Page>;
  screenshot(page: Page, name: string): Promise<void>;
  /** First sign-in of an invited person: the temporary password, then PASSWORD. */
  firstSignIn(page: Page, email: string, screenshotName?: string): Promise<void>;
  /** Follows the navigation link and waits for the page's heading. */
  openPage(page: Page, link: string, heading: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts the service and the browser; screenshots go to `test-results/<screenshotDir>/`
 * (emptied first). Call `stop()` in `afterAll`.
 */
export async function startConsoleHarness(
  screenshotDir: string,
  options: Partial<LocalServiceOptions> = {},
): Promise<ConsoleHarness> {
  const screenshots = join(REPO_ROOT, 'test-results', screenshotDir);
  rmSync(screenshots, { recursive: true, force: true });
  mkdirSync(screenshots, { recursive: true });
  const home = mkdtempSync(join(tmpdir(), 'staxid-console-'));
  const pids: number[] = [];
  let service: LocalService | undefined;
  let server: BrowserServer | undefined;
  let browser: Browser | undefined;
  const stop = async (): Promise<void> => {
    await browser?.close().catch(() => undefined);
    await server?.close().catch(() => undefined);
    await service?.stop();
    killIfRunning(...pids);
    rmSync(home, { recursive: true, force: true });
  };
  try {
    service = await startLocalService({
      home,
      port: 0,
      logger: quiet,
      routes: [...ROUTES, ...CONSOLE_ROUTES],
      ...options,
    });
    pids.push(service.dynamodb.pid, service.cognito.pid);
    server = await chromium.launchServer({ executablePath: '/usr/bin/chromium', args: CHROMIUM_FLAGS });
    const browserPid = server.process().pid;
    if (browserPid !== undefined) pids.push(browserPid);
    browser = await chromium.connect(server.wsEndpoint());
  } catch (error) {
    await stop();
    throw error;
  }
  return harness(home, service, browser, screenshots, await bootstrapAccessToken(home, service), stop);
}

function harness(
  home: string,
  service: LocalService,
  browser: Browser,
  screenshots: string,
  adminToken: string,
  stop: () => Promise<void>,
): ConsoleHarness {
  const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const url = /^\/\d{8}\//.test(path) ? path : `/20190206${path}`;
    const response = await fetch(`${service.url}${url}`, {
      method,
      headers: { Authorization: `Bearer ${adminToken}`, 'Content-Type': 'application/json' },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
    return JSON.parse(text) as T;
  };
  const invitation = (email: string): { Username: string; TemporaryPassword: string } => {
    const outbox = join(home, 'outbox');
    for (const file of readdirSync(outbox).sort().reverse()) {
      const message = JSON.parse(readFileSync(join(outbox, file), 'utf8')) as Record<string, string>;
      if (message.To === email) {
        return { Username: String(message.Username), TemporaryPassword: String(message.TemporaryPassword) };
      }
    }
    throw new Error(`no invitation to ${email} in ${outbox}`);
  };
  const screenshot = async (page: Page, name: string): Promise<void> => {
    await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
  };
  return {
    home,
    service,
    browser,
    api,
    invitation,
    async inviteThroughApi(email, firstName, role) {
      await api('POST', '/idam/user', { Email: email, FirstName: firstName, LastName: 'Tester', Role: role });
    },
    async newPage() {
      const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
      return context.newPage();
    },
    screenshot,
    async firstSignIn(page, email, screenshotName) {
      const { Username, TemporaryPassword } = invitation(email);
      await page.goto(`${service.url}/`);
      await page.getByLabel('Username').fill(Username);
      await page.getByLabel('Password', { exact: true }).fill(TemporaryPassword);
      if (screenshotName) await screenshot(page, screenshotName);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByLabel('New password', { exact: true }).fill(PASSWORD);
      await page.getByLabel('Repeat the new password').fill(PASSWORD);
      if (screenshotName) await screenshot(page, `${screenshotName}-new-password`);
      await page.getByRole('button', { name: 'Set password and sign in' }).click();
      await page.getByRole('heading', { name: 'My AWS accounts' }).waitFor();
    },
    async openPage(page, link, heading) {
      await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: link }).click();
      await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
    },
    stop,
  };
}

async function bootstrapAccessToken(home: string, service: LocalService): Promise<string> {
  const { AccessKey, SecretKey } = JSON.parse(readFileSync(join(home, 'bootstrap-token.json'), 'utf8')) as {
    AccessKey: string;
    SecretKey: string;
  };
  const response = await fetch(`${service.url}/oauth2/token`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Authorization: `Basic ${Buffer.from(`${AccessKey}:${SecretKey}`).toString('base64')}`,
    },
    body: 'grant_type=client_credentials',
  });
  const body = (await response.json()) as { access_token: string };
  return body.access_token;
}

/**
 * Has the next GET of `url` from `page` answer 500 (the API failing once): for what a page
 * does when a request after a change fails. `failures()` says how many it failed so far;
 * `stop()` lets every request through again.
 */
export async function failNextGet(
  page: Page,
  url: string,
): Promise<{ failures(): number; stop(): Promise<void> }> {
  let failed = 0;
  await page.route(url, async (route) => {
    if (route.request().method() !== 'GET' || failed > 0) return route.continue();
    failed += 1;
    return route.fulfill({ status: 500, contentType: 'application/json', body: '{"Error":"boom"}' });
  });
  return { failures: () => failed, stop: () => page.unroute(url) };
}
