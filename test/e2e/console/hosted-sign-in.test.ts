/**
 * The console's AWS-mode sign-in in headless Chromium: the service started with
 * `consoleSignIn: 'hosted-ui'` (`STAXID_CONSOLE_SIGN_IN=hosted-ui` for `npm start`), so
 * `config.json` names its hosted UI (the stand-in of local/hosted-ui.ts, backed by the
 * service's cognito-local), and the person
 * signs in with the authorization code + PKCE round trip, as in AWS. The session is renewed
 * by its timer and after a 401; a deactivated user is signed out once and refused at the next
 * sign-in. Screenshots go to `test-results/hosted-sign-in/`.
 */
import { UpdateUserPoolClientCommand } from '@aws-sdk/client-cognito-identity-provider';
import type { Page, Request } from 'playwright-core';
import { cognitoLocalClient } from '@/local/cognito-local';
import { type ConsoleHarness, PASSWORD, startConsoleHarness } from '@/test/e2e/console/harness';

jest.setTimeout(180_000);

let harness: ConsoleHarness;
let hostedUiUrl: string;

beforeAll(async () => {
  harness = await startConsoleHarness('hosted-sign-in', { consoleSignIn: 'hosted-ui' });
  hostedUiUrl = harness.service.endpoints.hostedUi;
});

afterAll(async () => {
  await harness?.stop();
});

const storedSession = (page: Page) =>
  page.evaluate<{ accessToken: string; refreshToken?: string } | null>(
    `JSON.parse(sessionStorage.getItem('staxid.session') ?? 'null')`,
  );

const isRefresh = (request: Request) =>
  request.url() === `${hostedUiUrl}/oauth2/token` &&
  (request.postData() ?? '').includes('grant_type=refresh_token');

/** An invited person's first sign-in: the console's button, the hosted UI's two forms, My AWS accounts. */
async function hostedSignIn(page: Page, email: string, screenshotName?: string): Promise<void> {
  const { Username, TemporaryPassword } = harness.invitation(email);
  await page.goto(`${harness.service.url}/console/`);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${hostedUiUrl}/oauth2/authorize?**`);
  if (screenshotName) await harness.screenshot(page, `${screenshotName}-hosted-ui`);
  await page.getByLabel('Username').fill(Username);
  await page.getByLabel('Password').fill(TemporaryPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  if (screenshotName) await harness.screenshot(page, `${screenshotName}-new-password`);
  await page.getByLabel('New password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Set password and sign in' }).click();
  await page
    .getByRole('heading', { name: 'My AWS accounts' })
    .waitFor({ timeout: 15_000 })
    .catch(async (error: unknown) => {
      throw new Error(
        `${error}\nthe page at ${page.url()} says: ${await page.locator('body').textContent()}`,
      );
    });
}

/** A later sign-in, with the password the person chose. */
async function signInAgain(page: Page, email: string): Promise<void> {
  const { Username } = harness.invitation(email);
  await page.goto(`${harness.service.url}/console/`);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByLabel('Username').fill(Username);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

describe('hosted-UI sign-in (code + PKCE) in headless Chromium', () => {
  it('serves config.json in the AWS shape and lets the page call the token endpoint', async () => {
    const config = await (await fetch(`${harness.service.url}/console/config.json`)).json();
    expect(config).toEqual({
      mode: 'aws',
      region: 'us-east-1',
      userPoolClientId: harness.service.endpoints.userPoolClientId,
      hostedUiUrl,
    });
    const page = await fetch(`${harness.service.url}/console/`);
    expect(page.headers.get('content-security-policy')).toContain(`connect-src 'self' ${hostedUiUrl}`);
  });

  it('signs an invited user in through the hosted UI and lands on My AWS accounts, with a clean address', async () => {
    await harness.inviteThroughApi('hana@example.com', 'Hana', 'customer_user');
    const page = await harness.newPage();
    const authorize = page.waitForRequest(`${hostedUiUrl}/oauth2/authorize?**`);
    await hostedSignIn(page, 'hana@example.com', 'hana');
    const query = new URL((await authorize).url()).searchParams;
    expect(Object.fromEntries(query)).toMatchObject({
      response_type: 'code',
      client_id: harness.service.endpoints.userPoolClientId,
      redirect_uri: `${harness.service.url}/console/`,
      scope: 'openid email profile',
      code_challenge_method: 'S256',
    });
    expect(query.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(query.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await harness.screenshot(page, 'hana-accounts');
    expect(page.url()).toBe(`${harness.service.url}/console/`);
    const session = await storedSession(page);
    expect(session?.refreshToken).toEqual(expect.any(String));
    await expect(page.evaluate(`sessionStorage.getItem('staxid.pending-sign-in')`)).resolves.toBeNull();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to staxid' }).waitFor();
    expect(page.url()).toBe(`${harness.service.url}/console/`);
    await expect(storedSession(page)).resolves.toBeNull();
    await page.context().close();
  });

  it('says in words why a sign-in failed, and offers to try again', async () => {
    const page = await harness.newPage();
    await page.goto(`${harness.service.url}/console/?code=stolen&state=not-mine`);
    await expect(page.getByRole('alert').textContent()).resolves.toBe(
      'This sign-in was not started from this tab, or it was already used: sign in again.',
    );
    expect(page.url()).toBe(`${harness.service.url}/console/`);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();

    await page.goto(`${harness.service.url}/console/?error=access_denied&error_description=User+cancelled`);
    await expect(page.getByRole('alert').textContent()).resolves.toBe(
      'The sign-in was refused: User cancelled.',
    );
    await harness.screenshot(page, 'sign-in-refused');
    await page.context().close();
  });

  it('renews the session after a 401 and carries on', async () => {
    const page = await harness.newPage();
    await signInAgain(page, 'hana@example.com');
    await page.getByRole('heading', { name: 'My AWS accounts' }).waitFor();
    // An access token the API refuses, with the refresh token kept: the reload's first call is a 401.
    await page.evaluate(`(() => {
      const session = JSON.parse(sessionStorage.getItem('staxid.session'));
      sessionStorage.setItem('staxid.session', JSON.stringify({ ...session, accessToken: 'expired.token.x' }));
    })()`);
    const refreshed = page.waitForRequest(isRefresh);
    await page.reload();
    await refreshed;
    await page.getByRole('heading', { name: 'My AWS accounts' }).waitFor();
    expect((await storedSession(page))?.accessToken).not.toBe('expired.token.x');
    await harness.openPage(page, 'Users', 'Users');
    await page.context().close();
  });

  it('signs a deactivated user out exactly once, and the hosted UI then refuses them', async () => {
    await harness.inviteThroughApi('dora@example.com', 'Dora', 'customer_user');
    const page = await harness.newPage();
    await hostedSignIn(page, 'dora@example.com');
    const { Users } = await harness.api<{ Users: Array<{ Id: string; Email: string }> }>('GET', '/users');
    const dora = Users.find((user) => user.Email === 'dora@example.com');
    await harness.api('PUT', `/idam/user/${dora?.Id}`, { Status: 'DISABLED' });

    const refreshes: Request[] = [];
    const apiCalls: Request[] = [];
    page.on('request', (request) => {
      if (isRefresh(request)) refreshes.push(request);
      if (request.url().startsWith(`${harness.service.url}/20190206/`)) apiCalls.push(request);
    });
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Users' }).click();
    await page.getByRole('heading', { name: 'Sign in to staxid' }).waitFor();
    await page.getByText('Your session has ended').waitFor();
    await harness.screenshot(page, 'dora-signed-out');
    const callsAtSignOut = apiCalls.length;
    await page.waitForTimeout(1500);
    expect(refreshes.length).toBeLessThanOrEqual(1);
    expect(apiCalls.length).toBe(callsAtSignOut);
    expect(callsAtSignOut).toBeLessThanOrEqual(2);
    await expect(storedSession(page)).resolves.toBeNull();

    await signInAgain(page, 'dora@example.com');
    await page.getByRole('heading', { name: 'Sign in to staxid' }).waitFor();
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(
      /^staxid refused the sign-in: .*not active/,
    );
    await harness.screenshot(page, 'dora-refused');
    await page.context().close();
  });

  it('renews a short-lived access token by its timer, and the page keeps working', async () => {
    // Access tokens of 75 seconds: the console renews them a minute early, 15 seconds in.
    const cognito = cognitoLocalClient(harness.service.endpoints.cognito);
    await cognito.send(
      new UpdateUserPoolClientCommand({
        UserPoolId: harness.service.endpoints.userPoolId,
        ClientId: harness.service.endpoints.userPoolClientId,
        AccessTokenValidity: 75,
        TokenValidityUnits: { AccessToken: 'seconds' },
      }),
    );
    cognito.destroy();
    const page = await harness.newPage();
    await signInAgain(page, 'hana@example.com');
    await page.getByRole('heading', { name: 'My AWS accounts' }).waitFor();
    const before = (await storedSession(page))?.accessToken;
    const refresh = await page.waitForResponse((response) => isRefresh(response.request()), {
      timeout: 40_000,
    });
    expect(refresh.status()).toBe(200);
    await page.waitForFunction(
      `JSON.parse(sessionStorage.getItem('staxid.session') ?? '{}').accessToken !== ${JSON.stringify(before)}`,
    );
    await harness.openPage(page, 'Users', 'Users');
    await harness.screenshot(page, 'hana-after-refresh');
    await page.context().close();
  });
});
