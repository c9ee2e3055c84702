/**
 * The console's AWS-mode sign-in in headless Chromium: the service started with
 * `consoleSignIn: 'hosted-ui'` (`STAXID_CONSOLE_SIGN_IN=hosted-ui` for `npm start`), so
 * `config.json` names its hosted UI (the stand-in of local/hosted-ui.ts, backed by the
 * service's cognito-local), and the person
 * signs in with the authorization code + PKCE round trip, as in AWS. The session is renewed
 * by its timer and after a 401, twice in a row past the rotation's grace period (the hosted UI
 * rotates refresh tokens); signing out revokes the refresh token; a crafted `?error=` link
 * shows no attacker text; a deactivated user is signed out once and refused at the next
 * sign-in. Screenshots go to `test-results/hosted-sign-in/`.
 */
import { UpdateUserPoolClientCommand } from '@aws-sdk/client-cognito-identity-provider';
import type { Page, Request } from 'playwright-core';
import { cognitoLocalClient } from '@/local/cognito-local';
import { REFRESH_GRACE_PERIOD_MS } from '@/local/hosted-ui';
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

/** The hosted UI's answer to a refresh with `refreshToken`, as anyone holding a copy of it would ask. */
const refreshAtHostedUi = (refreshToken: string) =>
  fetch(`${hostedUiUrl}/oauth2/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      client_id: harness.service.endpoints.userPoolClientId,
      refresh_token: refreshToken,
    }),
  });

/** Replaces the stored access token with one the API refuses: the next page load renews it after a 401. */
const spoilAccessToken = (page: Page) =>
  page.evaluate(`(() => {
    const session = JSON.parse(sessionStorage.getItem('staxid.session'));
    sessionStorage.setItem('staxid.session', JSON.stringify({ ...session, accessToken: 'expired.token.x' }));
  })()`);

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
    await page.context().close();
  });

  it('revokes the refresh token at sign-out: the token the page held is refused afterwards', async () => {
    const page = await harness.newPage();
    await signInAgain(page, 'hana@example.com');
    await page.getByRole('heading', { name: 'My AWS accounts' }).waitFor();
    const held = (await storedSession(page))?.refreshToken ?? '';
    const revoke = page.waitForRequest(`${hostedUiUrl}/oauth2/revoke`);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to staxid' }).waitFor();
    expect(new URLSearchParams((await revoke).postData() ?? '').get('token')).toBe(held);
    expect(page.url()).toBe(`${harness.service.url}/console/`);
    await expect(storedSession(page)).resolves.toBeNull();

    const refused = await refreshAtHostedUi(held);
    expect(refused.status).toBe(400);
    await expect(refused.json()).resolves.toMatchObject({ error: 'invalid_grant' });
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

    // The hosted UI's refusal of this tab's sign-in (the state it started with) is shown in words.
    await page.evaluate(
      `sessionStorage.setItem('staxid.pending-sign-in', JSON.stringify({ verifier: 'v', state: 'mine' }))`,
    );
    await page.goto(
      `${harness.service.url}/console/?error=access_denied&error_description=User+cancelled&state=mine`,
    );
    await expect(page.getByRole('alert').textContent()).resolves.toBe(
      'The sign-in was refused: User cancelled.',
    );
    await harness.screenshot(page, 'sign-in-refused');
    await page.context().close();
  });

  it("shows no text of a crafted error link: without this tab's state it is refused in the console's words", async () => {
    const page = await harness.newPage();
    for (const crafted of [
      '?error=access_denied&error_description=Your+account+is+locked.+Call+555',
      '?error=access_denied&error_description=Call+555&state=guessed',
    ]) {
      // A sign-in under way in this tab, with a state the crafted link does not carry.
      await page.goto(`${harness.service.url}/console/`);
      await page.evaluate(
        `sessionStorage.setItem('staxid.pending-sign-in', JSON.stringify({ verifier: 'v', state: 'mine' }))`,
      );
      await page.goto(`${harness.service.url}/console/${crafted}`);
      await expect(page.getByRole('alert').textContent()).resolves.toBe(
        'This sign-in was not started from this tab, or it was already used: sign in again.',
      );
      await expect(page.locator('body').textContent()).resolves.not.toContain('555');
      expect(page.url()).toBe(`${harness.service.url}/console/`);
    }
    await harness.screenshot(page, 'crafted-error-link');
    await page.context().close();
  });

  it('renews the session after a 401 and carries on', async () => {
    const page = await harness.newPage();
    await signInAgain(page, 'hana@example.com');
    await page.getByRole('heading', { name: 'My AWS accounts' }).waitFor();
    // An access token the API refuses, with the refresh token kept: the reload's first call is a 401.
    await spoilAccessToken(page);
    const refreshed = page.waitForRequest(isRefresh);
    await page.reload();
    await refreshed;
    await page.getByRole('heading', { name: 'My AWS accounts' }).waitFor();
    expect((await storedSession(page))?.accessToken).not.toBe('expired.token.x');
    await harness.openPage(page, 'Users', 'Users');
    await page.context().close();
  });

  it('renews twice in a row, past the rotation grace period: each renewal keeps the new refresh token', async () => {
    const page = await harness.newPage();
    await signInAgain(page, 'hana@example.com');
    await page.getByRole('heading', { name: 'My AWS accounts' }).waitFor();
    const signedIn = (await storedSession(page))?.refreshToken ?? '';

    /** Forces one renewal (a 401, then a refresh); the refresh token it sent and the one it got. */
    const renew = async (): Promise<{ sent: string; received: string }> => {
      await spoilAccessToken(page);
      const refreshed = page.waitForResponse((response) => isRefresh(response.request()));
      await page.reload();
      const response = await refreshed;
      expect(response.status()).toBe(200);
      const sent = new URLSearchParams(response.request().postData() ?? '').get('refresh_token') ?? '';
      const received = String(((await response.json()) as { refresh_token?: string }).refresh_token);
      await page.getByRole('heading', { name: 'My AWS accounts' }).waitFor();
      expect((await storedSession(page))?.refreshToken).toBe(received);
      return { sent, received };
    };

    const first = await renew();
    expect(first.sent).toBe(signedIn);
    expect(first.received).not.toBe(signedIn);
    // The sign-in's refresh token is now refused by the hosted UI, as by Cognito with rotation.
    await page.waitForTimeout(REFRESH_GRACE_PERIOD_MS + 500);
    expect((await refreshAtHostedUi(signedIn)).status).toBe(400);

    const second = await renew();
    expect(second.sent).toBe(first.received);
    await harness.openPage(page, 'Users', 'Users');
    await harness.screenshot(page, 'hana-after-two-renewals');
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
