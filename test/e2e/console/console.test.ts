/**
 * The staxid console in headless Chromium (the Debian package, driven by playwright-core;
 * never a browser download) against the whole local service, started in-process with the
 * console's routes: an Admin signs in for the first time (sets a password), invites a user,
 * creates a group and an account type; the access wiring without a page yet goes through
 * the API; the invited user sets a password, signs in, sees the account and signs in to
 * the local AWS console stand-in, which validates the SAML Response; a Read Only user sees
 * no edit controls; signing out revokes the refresh token; a new API token's secret stays on
 * screen when the list cannot be refreshed; a deactivated user is signed out and cannot sign in again.
 * Screenshots of every page go to `test-results/console/` on every run.
 */
import { InitiateAuthCommand } from '@aws-sdk/client-cognito-identity-provider';
import type { Page } from 'playwright-core';
import { cognitoLocalClient } from '@/local/cognito-local';
import { type ConsoleHarness, failNextGet, PASSWORD, startConsoleHarness } from '@/test/e2e/console/harness';

jest.setTimeout(180_000);

const DEV_ACCOUNT = { id: '100000000004', name: 'workload-dev' };

let harness: ConsoleHarness;

beforeAll(async () => {
  harness = await startConsoleHarness('console');
});

afterAll(async () => {
  await harness?.stop();
});

const api = <T>(method: string, path: string, body?: unknown): Promise<T> =>
  harness.api<T>(method, path, body);
const invitation = (email: string) => harness.invitation(email);
const inviteThroughApi = (email: string, firstName: string, role: string) =>
  harness.inviteThroughApi(email, firstName, role);
const newPage = () => harness.newPage();
const screenshot = (page: Page, name: string) => harness.screenshot(page, name);
const firstSignIn = (page: Page, email: string, screenshotName?: string) =>
  harness.firstSignIn(page, email, screenshotName);
const openPage = (page: Page, link: string, heading: string) => harness.openPage(page, link, heading);

describe('the staxid console in headless Chromium', () => {
  let admin: Page;
  let developer: Page;

  it('serves the built console at /console/ of the API, and / sends the browser there', async () => {
    const redirect = await fetch(`${harness.service.url}/`, { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toBe('/console/');
    const page = await fetch(`${harness.service.url}/console/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await page.text()).toContain('<div id="app"></div>');
    const config = (await (await fetch(`${harness.service.url}/console/config.json`)).json()) as Record<
      string,
      string
    >;
    expect(config).toEqual({
      mode: 'local',
      cognitoEndpoint: harness.service.endpoints.cognito,
      userPoolClientId: harness.service.endpoints.userPoolClientId,
      region: 'us-east-1',
    });
  });

  it('serves no file outside the build', async () => {
    const outside = await fetch(
      `${harness.service.url}/console/assets/%2e%2e%2f%2e%2e%2f%2e%2e%2fpackage.json`,
    );
    expect(outside.status).toBe(404);
    const missing = await fetch(`${harness.service.url}/console/assets/none.js`);
    expect(missing.status).toBe(404);
  });

  it('the sign-in form works from the keyboard, with a visible focus, and says why a sign-in fails', async () => {
    const page = await newPage();
    await page.goto(`${harness.service.url}/console/`);
    // The accessible name of the focused control: its label, or a button's text (run in the page).
    const focusedLabel = () =>
      page.evaluate<string | undefined>(
        `(() => { const el = document.activeElement;
          return el && el.id ? document.querySelector('label[for="' + el.id + '"]')?.textContent : el?.textContent; })()`,
      );
    await page.getByLabel('Username').waitFor();
    await expect(focusedLabel()).resolves.toBe('Username');
    await page.keyboard.type('nobody');
    await page.keyboard.press('Tab');
    await expect(focusedLabel()).resolves.toBe('Password');
    await page.keyboard.type('wrong-password');
    await page.keyboard.press('Tab');
    await expect(focusedLabel()).resolves.toBe('Sign in');
    const outline = await page.evaluate<string>('getComputedStyle(document.activeElement).outlineStyle');
    expect(outline).toBe('solid');
    await page.keyboard.press('Enter');
    await expect(page.getByRole('alert').textContent()).resolves.toBe(
      'The username or password is not right.',
    );
    await screenshot(page, 'sign-in-refused');
    await page.context().close();
  });

  it('an Admin sets a password at first sign-in, invites a user, creates a group and an account type', async () => {
    await api('POST', '/accounts/discover', {});
    await inviteThroughApi('ada@example.com', 'Ada', 'customer_admin');
    admin = await newPage();
    await firstSignIn(admin, 'ada@example.com', 'sign-in');
    await admin.getByText('You hold no role in any AWS account yet').waitFor();
    await screenshot(admin, 'admin-accounts');

    await openPage(admin, 'Users', 'Users');
    const invite = admin.getByRole('form', { name: 'Invite a user' });
    await invite.getByLabel('Email').fill('dev@example.com');
    await invite.getByLabel('First name').fill('Dev');
    await invite.getByLabel('Last name').fill('Eloper');
    await invite.getByLabel('Role').selectOption('customer_user');
    await invite.getByRole('button', { name: 'Invite' }).click();
    await admin.getByText('dev@example.com is invited').waitFor();
    const row = admin.getByRole('row', { name: /dev@example\.com/ });
    await expect(row.textContent()).resolves.toContain('INVITED');
    await screenshot(admin, 'admin-users');

    // An API error is shown in words: the same email twice.
    await invite.getByLabel('Email').fill('dev@example.com');
    await invite.getByLabel('First name').fill('Dev');
    await invite.getByLabel('Last name').fill('Again');
    await invite.getByRole('button', { name: 'Invite' }).click();
    await expect(admin.getByRole('alert').textContent()).resolves.toMatch(/dev@example\.com/i);

    await openPage(admin, 'Groups', 'Groups');
    await admin.getByLabel('Group name').fill('Developers');
    await admin.getByRole('button', { name: 'Create' }).click();
    await admin.getByRole('cell', { name: 'Developers', exact: true }).waitFor();
    await screenshot(admin, 'admin-groups');

    await openPage(admin, 'Account types', 'Account types');
    await admin.getByLabel('Account type name').fill('Development');
    await admin.getByRole('button', { name: 'Create' }).click();
    await admin.getByRole('columnheader', { name: 'Development' }).waitFor();
  });

  it('the access matrix shows the developer access given through the API', async () => {
    const { Groups } = await api<{ Groups: Array<{ Id: string; Name: string }> }>('GET', '/groups');
    const group = Groups.find((candidate) => candidate.Name === 'Developers');
    const { AccountTypes } = await api<{ AccountTypes: Array<{ Id: string; Name: string }> }>(
      'GET',
      '/accounts/types',
    );
    const type = AccountTypes.find((candidate) => candidate.Name === 'Development');
    const { Accounts } = await api<{ Accounts: Array<{ Id: string; AwsAccountId: string }> }>(
      'GET',
      '/accounts',
    );
    const account = Accounts.find((candidate) => candidate.AwsAccountId === DEV_ACCOUNT.id);
    const { Users } = await api<{ Users: Array<{ Id: string; Email: string }> }>('GET', '/users');
    const developerUser = Users.find((candidate) => candidate.Email === 'dev@example.com');
    if (!group || !type || !account || !developerUser) throw new Error('the setup is incomplete');

    await api('PUT', '/accounts/types/access', {
      AddRoles: [{ AccountTypeId: type.Id, GroupId: group.Id, RoleName: 'developer' }],
    });
    await api('PUT', '/account-types/members', {
      Members: [{ AccountId: account.Id, AccountTypeId: type.Id }],
    });
    await api('PUT', '/groups/members', { AddMembers: [{ UserId: developerUser.Id, GroupId: group.Id }] });

    await admin.reload();
    await admin.getByRole('heading', { name: 'Account types', level: 1 }).waitFor();
    const access = admin.getByRole('checkbox', { name: 'Developer access for Developers on Development' });
    await expect(access.isChecked()).resolves.toBe(true);
    await screenshot(admin, 'admin-account-types');
  });

  it('the invited user sets a password, sees the account and signs in to the AWS console stand-in', async () => {
    developer = await newPage();
    await firstSignIn(developer, 'dev@example.com');
    const signIn = developer.getByRole('button', { name: new RegExp(`^Sign in to ${DEV_ACCOUNT.name} as `) });
    await signIn.waitFor();
    await screenshot(developer, 'developer-accounts');

    await developer.getByLabel('Search accounts and roles').fill('no-such-account');
    await expect(signIn.count()).resolves.toBe(0);
    await developer.getByLabel('Search accounts and roles').fill('dev');
    await developer.getByRole('button', { name: /^CLI access to workload-dev/ }).click();
    await expect(developer.locator('pre').textContent()).resolves.toContain(
      `staxid credentials --account ${DEV_ACCOUNT.id}`,
    );
    await screenshot(developer, 'developer-cli');

    const [aws] = await Promise.all([developer.context().waitForEvent('page'), signIn.click()]);
    await aws.waitForLoadState();
    await expect(aws.textContent('body')).resolves.toContain(
      `Signed in to the LOCAL AWS console stand-in as staxid-developer-role in ${DEV_ACCOUNT.id}`,
    );
    await screenshot(aws, 'aws-console-stand-in');
  });

  it('an Admin creates an API token, sees its secret once, and filters the audit log', async () => {
    await openPage(admin, 'API tokens', 'API tokens');
    await admin.getByLabel('Token name').fill('ci-pipeline');
    await admin.getByLabel('Token role').selectOption('api_readonly');
    await admin.getByRole('button', { name: 'Create token' }).click();
    const secret = await admin.getByTestId('secret-key').textContent();
    expect(secret).toMatch(/^\S{32}$/);
    await admin.getByRole('cell', { name: 'ci-pipeline', exact: true }).waitFor();
    await screenshot(admin, 'admin-api-tokens');
    await admin.reload();
    await admin.getByRole('cell', { name: 'ci-pipeline', exact: true }).waitFor();
    await expect(admin.getByTestId('secret-key').count()).resolves.toBe(0);

    await harness.service.flushAudit();
    await openPage(admin, 'Audit log', 'Audit log');
    await admin.getByRole('cell', { name: 'teams.CreateApiToken' }).first().waitFor();
    await admin.getByLabel('Event type').fill('teams.CreateGroup');
    await admin.getByRole('button', { name: 'Filter' }).click();
    await admin.getByText('1 event, newest first').waitFor();
    const types = await admin.locator('tbody tr td:nth-child(2)').allTextContents();
    expect(types).toEqual(['teams.CreateGroup']);
    await screenshot(admin, 'admin-audit-log');
  });

  it('keeps a new secret on screen when the list cannot be refreshed after the create', async () => {
    await openPage(admin, 'API tokens', 'API tokens');
    const listFails = await failNextGet(admin, `${harness.service.url}/20190206/api-tokens`);
    await admin.getByLabel('Token name').fill('deploy-bot');
    await admin.getByRole('button', { name: 'Create token' }).click();
    await admin.getByText(/^The list could not be refreshed \(staxid had a problem answering/).waitFor();
    expect(listFails.failures()).toBe(1);
    await expect(admin.getByTestId('secret-key').textContent()).resolves.toMatch(/^\S{32}$/);
    await expect(admin.getByRole('region', { name: 'Token deploy-bot is created' }).count()).resolves.toBe(1);
    await screenshot(admin, 'admin-api-token-list-failed');
    await listFails.stop();
    await admin.reload();
    await admin.getByRole('cell', { name: 'deploy-bot', exact: true }).waitFor();
  });

  it('a Read Only user sees the users but no edit controls', async () => {
    await inviteThroughApi('reader@example.com', 'Reader', 'customer_readonly');
    const reader = await newPage();
    await firstSignIn(reader, 'reader@example.com');
    await openPage(reader, 'Users', 'Users');
    await reader.getByRole('cell', { name: 'dev@example.com' }).waitFor();
    await expect(reader.getByRole('form', { name: 'Invite a user' }).count()).resolves.toBe(0);
    await expect(
      reader.getByRole('button', { name: /^(Deactivate|Reactivate|Resend)/ }).count(),
    ).resolves.toBe(0);
    await openPage(reader, 'Groups', 'Groups');
    await expect(reader.getByRole('button', { name: 'Create' }).count()).resolves.toBe(0);
    await openPage(reader, 'API tokens', 'API tokens');
    await reader.getByRole('cell', { name: 'ci-pipeline', exact: true }).waitFor();
    await expect(reader.getByRole('form', { name: 'Create an API token' }).count()).resolves.toBe(0);
    await expect(reader.getByRole('link', { name: 'Audit log' }).count()).resolves.toBe(0);
    await screenshot(reader, 'readonly-users');
    await reader.context().close();
  });

  it('signing out revokes the refresh token at the user pool (cognito-local)', async () => {
    const { Username } = invitation('reader@example.com');
    const page = await newPage();
    await page.goto(`${harness.service.url}/console/`);
    await page.getByLabel('Username').fill(Username);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'My AWS accounts' }).waitFor();
    const session = await page.evaluate<{ refreshToken?: string } | null>(
      `JSON.parse(sessionStorage.getItem('staxid.session') ?? 'null')`,
    );
    const held = session?.refreshToken ?? '';
    const userPool = cognitoLocalClient(harness.service.endpoints.cognito);
    const refresh = () =>
      userPool.send(
        new InitiateAuthCommand({
          AuthFlow: 'REFRESH_TOKEN_AUTH',
          ClientId: harness.service.endpoints.userPoolClientId,
          AuthParameters: { REFRESH_TOKEN: held },
        }),
      );
    try {
      await expect(refresh()).resolves.toMatchObject({
        AuthenticationResult: { AccessToken: expect.any(String) },
      });
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByText('You are signed out.').waitFor();
      await expect(refresh()).rejects.toMatchObject({ name: 'NotAuthorizedException' });
    } finally {
      userPool.destroy();
    }
    await page.context().close();
  });

  it('a support engineer asks for access, an Admin approves it for the case, then revokes it', async () => {
    await api('POST', '/groups', { Name: 'Support' });
    const { Groups } = await api<{ Groups: Array<{ Id: string; Name: string }> }>('GET', '/groups');
    const support = Groups.find((group) => group.Name === 'Support');
    await inviteThroughApi('sam@example.com', 'Sam', 'customer_user');
    const { Users } = await api<{ Users: Array<{ Id: string; Email: string }> }>('GET', '/users');
    const sam = Users.find((user) => user.Email === 'sam@example.com');
    await api('PUT', '/groups/members', { AddMembers: [{ UserId: sam?.Id, GroupId: support?.Id }] });

    const engineer = await newPage();
    await firstSignIn(engineer, 'sam@example.com');
    await openPage(engineer, 'Support access', 'Support access');
    await engineer.getByLabel('Case reference').fill('CASE-42');
    await engineer.getByLabel('AWS account ids (comma separated)').fill('100000000005');
    await engineer.getByRole('button', { name: 'Ask for access' }).click();
    await engineer.getByText('Support access for case CASE-42 is requested').waitFor();
    await expect(engineer.getByRole('row', { name: /CASE-42/ }).textContent()).resolves.toContain('PENDING');
    await expect(engineer.getByRole('button', { name: /^Approve/ }).count()).resolves.toBe(0);
    await screenshot(engineer, 'support-requested');

    await openPage(admin, 'Support access', 'Support access');
    await admin.getByRole('button', { name: 'Approve support access for case CASE-42' }).click();
    await admin.getByText('Support access for case CASE-42 is approved.').waitFor();
    await expect(admin.getByRole('row', { name: /CASE-42/ }).textContent()).resolves.toContain('ACTIVE');
    await screenshot(admin, 'admin-support-access');

    await openPage(engineer, 'My AWS accounts', 'My AWS accounts');
    await expect(engineer.getByRole('row', { name: /workload-test/ }).textContent()).resolves.toContain(
      'CASE-42',
    );

    await admin.getByRole('button', { name: 'Revoke support access for case CASE-42' }).click();
    await admin.getByText('Support access for case CASE-42 is revoked.').waitFor();
    await expect(admin.getByRole('row', { name: /CASE-42/ }).textContent()).resolves.toContain('REVOKED');
    await engineer.reload();
    await engineer.getByText('You hold no role in any AWS account yet').waitFor();
    await engineer.context().close();
  });

  it('a user the Admin deactivates is signed out and cannot sign in again', async () => {
    await openPage(admin, 'Users', 'Users');
    await admin.getByRole('button', { name: 'Deactivate Dev Eloper' }).click();
    await admin.getByText('Dev Eloper is deactivated.').waitFor();
    await screenshot(admin, 'admin-users-deactivated');

    // The next call to the API is refused: the console returns to the sign-in form and says why.
    await openPage(developer, 'Users', 'Sign in to staxid');
    await developer.getByText('Your session has ended').waitFor();
    await screenshot(developer, 'developer-signed-out');

    const { Username } = invitation('dev@example.com');
    await developer.getByLabel('Username').fill(Username);
    await developer.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await developer.getByRole('button', { name: 'Sign in' }).click();
    await expect(developer.getByRole('alert').textContent()).resolves.toBe(
      'staxid refused the sign-in: Your staxid account is not active. Ask an administrator.',
    );
  });
});
