/**
 * The console's SCIM provisioning page in headless Chromium against the whole local service:
 * an Admin reads the SCIM base URL, creates a token (shown once, with its expiry), and the
 * token works against the service's own SCIM endpoint; at the limit of two tokens the form
 * gives way to words saying why; deleting a token through the dialog stops it working at
 * once; a new token stays on screen when the list cannot be refreshed after the create.
 * Only Admins see the page. Screenshots go to `test-results/scim/`.
 */
import type { Page } from 'playwright-core';
import { type ConsoleHarness, failNextGet, startConsoleHarness } from '@/test/e2e/console/harness';

jest.setTimeout(120_000);

let harness: ConsoleHarness;
let admin: Page;

beforeAll(async () => {
  harness = await startConsoleHarness('scim');
  await harness.inviteThroughApi('ada@example.com', 'Ada', 'customer_admin');
  await harness.inviteThroughApi('uma@example.com', 'Uma', 'customer_user');
  admin = await harness.newPage();
  await harness.firstSignIn(admin, 'ada@example.com');
});

afterAll(async () => {
  await harness?.stop();
});

/** GET /scim/v2/Users with the token, as an identity provider's connector calls it. */
async function scimStatus(token: string): Promise<number> {
  const response = await fetch(`${harness.service.url}/scim/v2/Users?count=1`, {
    headers: { Authorization: `Bearer ${token}`, Accept: 'application/scim+json' },
  });
  return response.status;
}

async function createToken(description: string, days: number): Promise<string> {
  await admin.getByLabel('Description (where it is used)').fill(description);
  await admin.getByLabel('Expires in days').fill(String(days));
  await admin.getByRole('button', { name: 'Create token' }).click();
  const token = await admin.getByTestId('scim-token').textContent();
  if (!token) throw new Error('no token shown');
  await admin.getByRole('cell', { name: description, exact: true }).waitFor();
  return token;
}

describe('SCIM provisioning page', () => {
  let okta = '';

  it('shows the SCIM base URL and creates a token that the SCIM endpoint accepts, shown only once', async () => {
    await harness.openPage(admin, 'SCIM provisioning', 'SCIM provisioning');
    await expect(admin.getByTestId('scim-endpoint').textContent()).resolves.toBe(
      `${harness.service.url}/scim/v2`,
    );
    await admin.getByText('0 SCIM tokens').waitFor();

    okta = await createToken('Okta', 20);
    expect(okta).toMatch(/^scim_[0-9a-f-]{36}_[A-Za-z0-9]{40}$/);
    await expect(scimStatus(okta)).resolves.toBe(200);
    // Twenty days left: flagged, so that the IdP gets a new token in time.
    await admin.getByText(/\(in 19 days\): give your identity provider a new token/).waitFor();
    await harness.screenshot(admin, 'token-created');

    await admin.reload();
    await admin.getByRole('cell', { name: 'Okta', exact: true }).waitFor();
    await expect(admin.getByTestId('scim-token').count()).resolves.toBe(0);
  });

  it('refuses an expiry outside 1–365 days in the browser, before anything is sent', async () => {
    await admin.getByLabel('Expires in days').fill('400');
    await admin.getByRole('button', { name: 'Create token' }).click();
    await expect(
      admin.evaluate<boolean>('document.querySelector("input[type=number]").validity.rangeOverflow'),
    ).resolves.toBe(true);
    await admin.getByText('1 SCIM token', { exact: true }).waitFor();
  });

  it('at two tokens says why no third can be made, and a deleted token stops working at once', async () => {
    const entra = await createToken('Entra ID', 365);
    await expect(admin.getByRole('form', { name: 'Create a SCIM token' }).count()).resolves.toBe(0);
    await admin.getByText(/There are 2 tokens, the most there can be: delete one/).waitFor();
    await harness.screenshot(admin, 'two-tokens');

    await admin.getByRole('button', { name: /^Delete SCIM token Okta/ }).click();
    await admin.getByRole('dialog').getByRole('button', { name: 'Delete the token' }).click();
    await admin.getByText(/SCIM token Okta \(.+\) is deleted\./).waitFor();
    await expect(scimStatus(okta)).resolves.toBe(401);
    await expect(scimStatus(entra)).resolves.toBe(200);
    await admin.getByRole('form', { name: 'Create a SCIM token' }).waitFor();
    await harness.screenshot(admin, 'token-deleted');
  });

  it('keeps a new token on screen when the list cannot be refreshed after the create', async () => {
    const listFails = await failNextGet(admin, `${harness.service.url}/20190206/scim-tokens`);
    await admin.getByLabel('Description (where it is used)').fill('Ping');
    await admin.getByLabel('Expires in days').fill('90');
    await admin.getByRole('button', { name: 'Create token' }).click();
    await admin.getByText(/^The list could not be refreshed \(staxid had a problem answering/).waitFor();
    expect(listFails.failures()).toBe(1);
    const token = (await admin.getByTestId('scim-token').textContent()) ?? '';
    await expect(scimStatus(token)).resolves.toBe(200);
    await harness.screenshot(admin, 'token-list-failed');
    await listFails.stop();
    await admin.reload();
    await admin.getByRole('cell', { name: 'Ping', exact: true }).waitFor();
  });

  it('is not offered to anyone but an Admin', async () => {
    const user = await harness.newPage();
    await harness.firstSignIn(user, 'uma@example.com');
    await user.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Users' }).waitFor();
    await expect(user.getByRole('link', { name: 'SCIM provisioning' }).count()).resolves.toBe(0);
  });
});
