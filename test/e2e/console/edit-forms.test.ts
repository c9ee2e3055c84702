/**
 * The console's edit forms in headless Chromium against the whole local service: an Admin
 * edits a user's names and role (from the keyboard only) and deletes a user; renames a group
 * and edits its members; moves an account into an account type and gives a group developer
 * access there through the access matrix (the member then sees the account); renames and
 * deletes account types, and reads the API's refusal to delete one that holds accounts or a
 * group that has members; deletes an API token. Every change is checked through the API.
 * A Read Only user sees none of these controls. Screenshots go to `test-results/edit-forms/`.
 */
import type { Page } from 'playwright-core';
import { type ConsoleHarness, startConsoleHarness } from '@/test/e2e/console/harness';

jest.setTimeout(120_000);

const DEV_ACCOUNT = { id: '100000000004', name: 'workload-dev' };

interface User {
  readonly Id: string;
  readonly Email: string;
  readonly FirstName: string;
  readonly LastName: string;
  readonly Role: string;
}
interface Group {
  readonly Id: string;
  readonly Name: string;
  readonly Users: string[];
}
interface AccountType {
  readonly Id: string;
  readonly Name: string;
  readonly Accounts: string[];
  readonly Roles: Array<{ GroupId: string; RoleName: string }>;
}

let harness: ConsoleHarness;
let admin: Page;

const users = async () => (await harness.api<{ Users: User[] }>('GET', '/users')).Users;
const userByEmail = async (email: string) => (await users()).find((user) => user.Email === email);
const groupNamed = async (name: string) =>
  (await harness.api<{ Groups: Group[] }>('GET', '/groups')).Groups.find((group) => group.Name === name);
const accountTypeNamed = async (name: string) =>
  (await harness.api<{ AccountTypes: AccountType[] }>('GET', '/accounts/types')).AccountTypes.find(
    (type) => type.Name === name,
  );
/** The accessible name of the focused element: its label, aria-label, or text. */
const focusedName = (page: Page) =>
  page.evaluate<string | undefined>(
    `(() => { const el = document.activeElement;
      if (!el) return undefined;
      if (el.getAttribute('aria-label')) return el.getAttribute('aria-label');
      if (el.id && document.querySelector('label[for="' + el.id + '"]')) return document.querySelector('label[for="' + el.id + '"]').textContent;
      return el.textContent; })()`,
  );

beforeAll(async () => {
  harness = await startConsoleHarness('edit-forms');
  await harness.api('POST', '/accounts/discover', {});
  await harness.inviteThroughApi('ada@example.com', 'Ada', 'customer_admin');
  await harness.inviteThroughApi('pat@example.com', 'Pat', 'customer_user');
  await harness.inviteThroughApi('dev@example.com', 'Dev', 'customer_user');
  admin = await harness.newPage();
  await harness.firstSignIn(admin, 'ada@example.com');
});

afterAll(async () => {
  await harness?.stop();
});

describe('the console edit forms', () => {
  it("an Admin edits an invited user's names and role with the keyboard alone", async () => {
    await harness.openPage(admin, 'Users', 'Users');
    await admin.getByRole('button', { name: 'Edit Pat Tester' }).focus();
    await admin.keyboard.press('Enter');
    const dialog = admin.getByRole('dialog', { name: 'Edit Pat Tester' });
    await dialog.waitFor();
    await expect(dialog.getByLabel('First name').inputValue()).resolves.toBe('Pat');
    await expect(dialog.getByLabel('Role').inputValue()).resolves.toBe('customer_user');
    await expect(focusedName(admin)).resolves.toBe('First name');
    await admin.keyboard.press('Control+A');
    await admin.keyboard.type('Patricia');
    await admin.keyboard.press('Tab');
    await expect(focusedName(admin)).resolves.toBe('Last name');
    await admin.keyboard.press('Control+A');
    await admin.keyboard.type('Smith');
    await admin.keyboard.press('Tab');
    await expect(focusedName(admin)).resolves.toBe('Role');
    await admin.keyboard.press('ArrowDown'); // User → Read only
    await admin.keyboard.press('Tab');
    await expect(focusedName(admin)).resolves.toBe('Cancel');
    await admin.keyboard.press('Tab');
    await expect(focusedName(admin)).resolves.toBe('Save');
    await harness.screenshot(admin, 'edit-user-dialog');
    await admin.keyboard.press('Space');
    await admin.getByText('pat@example.com is updated.').waitFor();
    await expect(dialog.count()).resolves.toBe(0);
    // The page is drawn again: the focus stays in it, not lost to the document.
    await expect(admin.evaluate<string>('document.activeElement.id')).resolves.toBe('main');

    const pat = await userByEmail('pat@example.com');
    expect(pat).toMatchObject({ FirstName: 'Patricia', LastName: 'Smith', Role: 'customer_readonly' });
    const row = await admin.getByRole('row', { name: /pat@example\.com/ }).textContent();
    expect(row).toContain('Patricia Smith');
    expect(row).toContain('Read only');
    await harness.screenshot(admin, 'users-edited');
  });

  it('an Admin deletes a user after a confirmation that names them; Escape cancels and gives the focus back', async () => {
    const deleteButton = admin.getByRole('button', { name: 'Delete Patricia Smith' });
    await deleteButton.click();
    const dialog = admin.getByRole('dialog', { name: 'Delete Patricia Smith?' });
    await dialog.waitFor();
    await expect(focusedName(admin)).resolves.toBe('Cancel');
    await admin.keyboard.press('Escape');
    await expect(dialog.count()).resolves.toBe(0);
    await expect(focusedName(admin)).resolves.toBe('Delete Patricia Smith');
    expect(await userByEmail('pat@example.com')).toBeDefined();

    await deleteButton.click();
    await harness.screenshot(admin, 'delete-user-dialog');
    await dialog.getByRole('button', { name: 'Delete Patricia Smith' }).click();
    await admin.getByText('Patricia Smith is deleted.').waitFor();
    await expect(admin.getByRole('row', { name: /pat@example\.com/ }).count()).resolves.toBe(0);
    expect(await userByEmail('pat@example.com')).toBeUndefined();
    // No one deletes themselves: the Admin's own row offers no Delete.
    await expect(admin.getByRole('button', { name: 'Delete Ada Tester' }).count()).resolves.toBe(0);
  });

  it('an Admin renames a group, adds and removes members, and reads why a group with members is not deleted', async () => {
    await harness.api('POST', '/groups', { Name: 'Builders' });
    await harness.openPage(admin, 'Groups', 'Groups');
    await admin.getByRole('button', { name: 'Rename group Builders' }).click();
    const rename = admin.getByRole('dialog', { name: 'Rename group Builders' });
    await rename.getByLabel('New name').fill('Developers');
    await rename.getByRole('button', { name: 'Rename' }).click();
    await admin.getByText('The group Builders is now called Developers.').waitFor();
    expect(await groupNamed('Builders')).toBeUndefined();
    const group = await groupNamed('Developers');
    expect(group).toBeDefined();

    await admin.getByRole('button', { name: 'Edit the members of Developers' }).click();
    const members = admin.getByRole('region', { name: 'Members of Developers' });
    await members.getByLabel('User to add').selectOption({ label: 'Dev Tester (dev@example.com)' });
    await members.getByRole('button', { name: 'Add member' }).click();
    await admin.getByText('Dev Tester is a member of Developers.').waitFor();
    await members.getByLabel('User to add').selectOption({ label: 'Ada Tester (ada@example.com)' });
    await members.getByRole('button', { name: 'Add member' }).click();
    await admin.getByText('Ada Tester is a member of Developers.').waitFor();
    await expect(members.getByRole('cell', { name: 'ada@example.com' }).count()).resolves.toBe(1);
    await harness.screenshot(admin, 'group-members');
    await members.getByRole('button', { name: 'Remove Ada Tester from Developers' }).click();
    await admin.getByText('Ada Tester is no longer a member of Developers.').waitFor();

    const dev = await userByEmail('dev@example.com');
    expect((await groupNamed('Developers'))?.Users).toEqual([dev?.Id]);
    await expect(
      admin
        .getByRole('row', { name: /^Developers/ })
        .first()
        .textContent(),
    ).resolves.toContain('Dev Tester');

    await admin.getByRole('button', { name: 'Delete group Developers' }).click();
    const refuse = admin.getByRole('dialog', { name: 'Delete group Developers?' });
    await refuse.getByRole('button', { name: 'Delete Developers' }).click();
    await expect(refuse.getByRole('alert').textContent()).resolves.toBe(
      'Developers still has 1 member (Dev Tester): remove them with Members, then delete the group.',
    );
    await harness.screenshot(admin, 'delete-group-refused');
    await refuse.getByRole('button', { name: 'Cancel' }).click();
    expect(await groupNamed('Developers')).toBeDefined();

    await harness.api('POST', '/groups', { Name: 'Temporary' });
    await harness.openPage(admin, 'Users', 'Users');
    await harness.openPage(admin, 'Groups', 'Groups');
    await admin.getByRole('button', { name: 'Delete group Temporary' }).click();
    await admin
      .getByRole('dialog', { name: 'Delete group Temporary?' })
      .getByRole('button', { name: 'Delete Temporary' })
      .click();
    await admin.getByText('The group Temporary is deleted.').waitFor();
    expect(await groupNamed('Temporary')).toBeUndefined();
  });

  it('an Admin moves an account into a type and gives a group developer access there; the member sees the account', async () => {
    await harness.api('POST', '/accounts/types', { Name: 'Development' });
    await harness.api('POST', '/accounts/types', { Name: 'Sandbox' });
    await harness.openPage(admin, 'Account types', 'Account types');

    await admin.getByLabel(`Account type of ${DEV_ACCOUNT.name}`).selectOption({ label: 'Development' });
    await admin.getByRole('button', { name: `Move ${DEV_ACCOUNT.name}` }).click();
    await admin.getByText(`${DEV_ACCOUNT.name} is now in Development.`).waitFor();

    const access = admin.getByRole('checkbox', { name: 'Developer access for Developers on Development' });
    await expect(access.isChecked()).resolves.toBe(false);
    await access.check();
    await admin.getByRole('button', { name: 'Save access' }).click();
    await admin.getByText('Access is saved: 1 given, 0 taken away.').waitFor();
    await expect(access.isChecked()).resolves.toBe(true);
    await harness.screenshot(admin, 'access-matrix');

    const group = await groupNamed('Developers');
    const type = await accountTypeNamed('Development');
    expect(type?.Roles).toEqual([{ GroupId: group?.Id, RoleName: 'developer' }]);
    expect(type?.Accounts).toHaveLength(1);

    const developer = await harness.newPage();
    await harness.firstSignIn(developer, 'dev@example.com');
    await developer
      .getByRole('button', { name: new RegExp(`^Sign in to ${DEV_ACCOUNT.name} as `) })
      .first()
      .waitFor();
    await harness.screenshot(developer, 'member-sees-account');
    await developer.context().close();
  });

  it('an Admin renames and deletes account types, and reads why one that holds accounts is not deleted', async () => {
    await admin.getByRole('button', { name: 'Rename account type Sandbox' }).click();
    const rename = admin.getByRole('dialog', { name: 'Rename account type Sandbox' });
    await rename.getByLabel('New name').fill('Playground');
    await rename.getByRole('button', { name: 'Rename' }).click();
    await admin.getByText('The account type Sandbox is now called Playground.').waitFor();
    expect(await accountTypeNamed('Sandbox')).toBeUndefined();
    expect(await accountTypeNamed('Playground')).toBeDefined();

    await admin.getByRole('button', { name: 'Delete account type Development' }).click();
    const refuse = admin.getByRole('dialog', { name: 'Delete account type Development?' });
    await refuse.getByRole('button', { name: 'Delete Development' }).click();
    await expect(refuse.getByRole('alert').textContent()).resolves.toBe(
      `Development still holds 1 account (${DEV_ACCOUNT.name}): move them to another account type under Accounts, then delete it.`,
    );
    await harness.screenshot(admin, 'delete-account-type-refused');
    await refuse.getByRole('button', { name: 'Cancel' }).click();
    expect(await accountTypeNamed('Development')).toBeDefined();

    await admin.getByRole('button', { name: 'Delete account type Playground' }).click();
    await admin
      .getByRole('dialog', { name: 'Delete account type Playground?' })
      .getByRole('button', { name: 'Delete Playground' })
      .click();
    await admin.getByText('The account type Playground is deleted.').waitFor();
    expect(await accountTypeNamed('Playground')).toBeUndefined();
  });

  it('an Admin deletes an API token after a confirmation that names it', async () => {
    await harness.api('POST', '/api-tokens', { Name: 'old-pipeline', Role: 'api_readonly' });
    await harness.openPage(admin, 'API tokens', 'API tokens');
    await admin.getByRole('button', { name: 'Delete API token old-pipeline' }).click();
    const dialog = admin.getByRole('dialog', { name: 'Delete API token old-pipeline?' });
    await harness.screenshot(admin, 'delete-token-dialog');
    await dialog.getByRole('button', { name: 'Delete old-pipeline' }).click();
    await admin.getByText('API token old-pipeline is deleted.').waitFor();
    await expect(admin.getByRole('cell', { name: 'old-pipeline' }).count()).resolves.toBe(0);
    const { ApiTokens } = await harness.api<{ ApiTokens: Array<{ Name: string }> }>('GET', '/api-tokens');
    expect(ApiTokens.map((token) => token.Name)).not.toContain('old-pipeline');
  });

  it('a Read Only user sees none of the edit controls', async () => {
    await harness.api('POST', '/api-tokens', { Name: 'reader-visible', Role: 'api_readonly' });
    await harness.inviteThroughApi('reader@example.com', 'Reader', 'customer_readonly');
    const reader = await harness.newPage();
    await harness.firstSignIn(reader, 'reader@example.com');
    const controls = reader.locator('main').locator('button, select, input, form, dialog');

    await harness.openPage(reader, 'Users', 'Users');
    await reader.getByRole('cell', { name: 'dev@example.com' }).waitFor();
    await expect(controls.count()).resolves.toBe(0);
    await harness.openPage(reader, 'Groups', 'Groups');
    await reader.getByRole('cell', { name: 'Developers' }).waitFor();
    await expect(controls.count()).resolves.toBe(0);
    await harness.openPage(reader, 'Account types', 'Account types');
    await reader.getByRole('cell', { name: 'Development' }).first().waitFor();
    await expect(controls.count()).resolves.toBe(0);
    await expect(reader.getByRole('row', { name: /^Developers/ }).textContent()).resolves.toContain(
      'developer',
    );
    await harness.screenshot(reader, 'readonly-account-types');
    await harness.openPage(reader, 'API tokens', 'API tokens');
    await reader.getByRole('cell', { name: 'reader-visible' }).waitFor();
    await expect(controls.count()).resolves.toBe(0);
    await reader.context().close();
  });
});
