/**
 * The console's Permission sets page in headless Chromium against the whole local service
 * (with its in-process deployer, local/deployer.ts): an Admin creates a permission set
 * through the form (a bad inline policy is refused in words before anything is sent, a
 * duplicate name with the API's own message), assigns it to a group on an account type that
 * holds a simulated account and watches that account's deployment reach DEPLOYMENT_COMPLETE;
 * a developer of that group signs in to the permission-set role through the local AWS
 * console stand-in; a Read Only user sees the page without a single edit control.
 * Screenshots of each state go to `test-results/permission-sets/`.
 */
import type { Page } from 'playwright-core';
import { type ConsoleHarness, startConsoleHarness } from '@/test/e2e/console/harness';

jest.setTimeout(120_000);

const DEV_ACCOUNT = { id: '100000000004', name: 'workload-dev' };
const SET_NAME = 'DataReader';
const INLINE_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:ListAllMyBuckets', Resource: '*' }],
});

let harness: ConsoleHarness;
let admin: Page;

interface Named {
  readonly Id: string;
  readonly Name: string;
}

beforeAll(async () => {
  harness = await startConsoleHarness('permission-sets');
  const { api } = harness;
  await api('POST', '/accounts/discover', {});
  await api('POST', '/groups', { Name: 'Developers' });
  await api('POST', '/accounts/types', { Name: 'Development' });
  await harness.inviteThroughApi('ada@example.com', 'Ada', 'customer_admin');
  await harness.inviteThroughApi('dev@example.com', 'Dev', 'customer_user');
  const [{ Groups }, { AccountTypes }, { Accounts }, { Users }] = await Promise.all([
    api<{ Groups: Named[] }>('GET', '/groups'),
    api<{ AccountTypes: Named[] }>('GET', '/accounts/types'),
    api<{ Accounts: Array<{ Id: string; AwsAccountId: string }> }>('GET', '/accounts'),
    api<{ Users: Array<{ Id: string; Email: string }> }>('GET', '/users'),
  ]);
  const group = Groups.find((candidate) => candidate.Name === 'Developers');
  const type = AccountTypes.find((candidate) => candidate.Name === 'Development');
  const account = Accounts.find((candidate) => candidate.AwsAccountId === DEV_ACCOUNT.id);
  const developer = Users.find((candidate) => candidate.Email === 'dev@example.com');
  if (!group || !type || !account || !developer) throw new Error('the setup is incomplete');
  await api('PUT', '/account-types/members', {
    Members: [{ AccountId: account.Id, AccountTypeId: type.Id }],
  });
  await api('PUT', '/groups/members', { AddMembers: [{ UserId: developer.Id, GroupId: group.Id }] });
});

afterAll(async () => {
  await harness?.stop();
});

async function permissionSetNames(): Promise<string[]> {
  const { PermissionSets } = await harness.api<{ PermissionSets: Named[] }>(
    'GET',
    '/20210321/permission-sets',
  );
  return PermissionSets.map((set) => set.Name);
}

describe('the Permission sets page', () => {
  it('an Admin creates a permission set; bad inline JSON is refused before sending, a duplicate name by the API', async () => {
    admin = await harness.newPage();
    await harness.firstSignIn(admin, 'ada@example.com');
    await harness.openPage(admin, 'Permission sets', 'Permission sets');
    const form = admin.getByRole('form', { name: 'Create a permission set' });
    await form.getByLabel('Permission set name').fill(SET_NAME);
    await form.getByLabel('Description').fill('Reads data');
    await form.getByLabel(/^Longest session/).fill('2');
    await form.getByLabel('Filter AWS managed policies').fill('readonlyaccess');
    await expect(form.getByRole('checkbox', { name: 'AmazonS3FullAccess' }).isVisible()).resolves.toBe(false);
    await form.getByRole('checkbox', { name: 'ReadOnlyAccess', exact: true }).check();
    await form.getByRole('button', { name: 'Add an inline policy' }).click();
    await form.getByLabel('Inline policy 1 name').fill('list-buckets');
    await form.getByLabel('Inline policy 1 (JSON)').fill('{"Version": "2012-10-17", "Statement": [');

    await form.getByRole('button', { name: 'Create permission set' }).click();
    await expect(form.getByRole('alert').textContent()).resolves.toMatch(
      /^Inline policy 1 \(list-buckets\) is not valid JSON .*: fix the policy document before saving\.$/,
    );
    await expect(form.getByLabel('Inline policy 1 (JSON)').getAttribute('aria-invalid')).resolves.toBe(
      'true',
    );
    await harness.screenshot(admin, 'create-bad-json');
    await expect(permissionSetNames()).resolves.toEqual([]);

    await form.getByLabel('Inline policy 1 (JSON)').fill(INLINE_POLICY);
    await form.getByRole('button', { name: 'Create permission set' }).click();
    await admin.getByText(`Permission set ${SET_NAME} is created.`).waitFor();
    const row = admin.getByRole('row', { name: new RegExp(SET_NAME) });
    await expect(row.textContent()).resolves.toMatch(/Reads data.*1 AWS managed, 1 inline.*2 hours.*ACTIVE/);
    await harness.screenshot(admin, 'created');

    const again = admin.getByRole('form', { name: 'Create a permission set' });
    await again.getByLabel('Permission set name').fill(SET_NAME.toLowerCase());
    await again.getByRole('button', { name: 'Create permission set' }).click();
    await expect(again.getByRole('alert').textContent()).resolves.toContain(
      `Permission set name: a permission set named "${SET_NAME.toLowerCase()}" already exists (names are case-insensitive): choose another name`,
    );
    await expect(again.getByLabel('Permission set name').getAttribute('aria-invalid')).resolves.toBe('true');
    await harness.screenshot(admin, 'duplicate-name');
    await expect(permissionSetNames()).resolves.toEqual([SET_NAME]);
  });

  it('an Admin assigns it to a group on an account type and sees the account reach DEPLOYMENT_COMPLETE', async () => {
    await admin.getByRole('button', { name: `Details of ${SET_NAME}` }).click();
    await admin.getByRole('heading', { name: `Permission set ${SET_NAME}`, level: 1 }).waitFor();
    await admin.getByText('This permission set is not assigned yet').waitFor();
    const assign = admin.getByRole('form', { name: 'Assign this permission set' });
    await assign.getByLabel('Account type').selectOption({ label: 'Development' });
    await assign.getByLabel('Group').selectOption({ label: 'Developers' });
    await assign.getByRole('button', { name: 'Assign' }).click();
    await admin.getByText(`${SET_NAME} is assigned to Developers on Development`).waitFor();
    const accountRow = admin
      .getByRole('table', { name: 'Deployment to each account of Developers on Development' })
      .getByRole('row', { name: new RegExp(DEV_ACCOUNT.id) });
    await accountRow.getByText('DEPLOYMENT_COMPLETE').waitFor({ timeout: 30_000 });
    await expect(accountRow.textContent()).resolves.toContain(DEV_ACCOUNT.name);
    // Nobody clicks Refresh: the page asks again while the assignment is still requested.
    await admin
      .getByRole('heading', { name: 'Assigned to Developers on Development: DEPLOYMENT_COMPLETE' })
      .waitFor({ timeout: 30_000 });
    await expect(
      admin.getByRole('button', { name: `Redeploy ${SET_NAME} to Developers on Development` }).count(),
    ).resolves.toBe(1);
    await harness.screenshot(admin, 'deployed');
  });

  it('an Admin edits it, is told why it cannot be deleted while assigned, and deletes one without assignments', async () => {
    await harness.api('POST', '/20210321/permission-sets', { Name: 'Scratch' });
    await admin.getByRole('button', { name: 'Back to all permission sets' }).click();
    await admin.getByRole('heading', { name: 'Permission sets', level: 1 }).waitFor();

    await admin.getByRole('button', { name: `Edit ${SET_NAME}` }).click();
    const edit = admin.getByRole('form', { name: `Edit ${SET_NAME}` });
    await expect(edit.getByLabel('Permission set name').isDisabled()).resolves.toBe(true);
    await expect(
      edit.getByRole('checkbox', { name: 'ReadOnlyAccess', exact: true }).isChecked(),
    ).resolves.toBe(true);
    await edit.getByLabel(/^Longest session/).fill('3');
    await harness.screenshot(admin, 'edit');
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await admin.getByText(`Permission set ${SET_NAME} is saved`).waitFor();
    await expect(admin.getByRole('row', { name: new RegExp(SET_NAME) }).textContent()).resolves.toContain(
      '3 hours',
    );

    await admin.getByRole('button', { name: `Delete ${SET_NAME}` }).click();
    await expect(admin.getByRole('dialog').textContent()).resolves.toContain(
      `Delete the permission set ${SET_NAME}? This cannot be undone.`,
    );
    await admin.getByRole('button', { name: `Yes, delete ${SET_NAME}` }).click();
    await expect(admin.getByRole('dialog').getByRole('alert').textContent()).resolves.toContain(
      `Permission set "${SET_NAME}" still has 1 assignment(s): delete them first`,
    );
    await admin.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();

    await admin.getByRole('button', { name: 'Delete Scratch' }).click();
    await admin.getByRole('button', { name: 'Yes, delete Scratch' }).click();
    await admin.getByText('Permission set Scratch is deleted.').waitFor();
    await expect(admin.getByRole('row', { name: /Scratch/ }).textContent()).resolves.toContain('DELETED');
    await expect(admin.getByRole('button', { name: 'Edit Scratch' }).count()).resolves.toBe(0);
    await harness.screenshot(admin, 'deleted');

    await admin.getByLabel('Search permission sets by name').fill('data');
    await expect(admin.getByRole('row', { name: /Scratch/ }).count()).resolves.toBe(0);
    await expect(admin.getByRole('row', { name: new RegExp(SET_NAME) }).count()).resolves.toBe(1);
  });

  it('a developer of the group signs in to the permission-set role at the AWS console stand-in', async () => {
    const developer = await harness.newPage();
    await harness.firstSignIn(developer, 'dev@example.com');
    const signIn = developer.getByRole('button', { name: `Sign in to ${DEV_ACCOUNT.name} as ${SET_NAME}` });
    await signIn.waitFor();
    await harness.screenshot(developer, 'developer-accounts');
    const [aws] = await Promise.all([developer.context().waitForEvent('page'), signIn.click()]);
    await aws.waitForLoadState();
    await expect(aws.textContent('body')).resolves.toContain(
      `Signed in to the LOCAL AWS console stand-in as ${SET_NAME} in ${DEV_ACCOUNT.id}`,
    );
    await harness.screenshot(aws, 'aws-console-stand-in');
    await developer.context().close();
  });

  it('a Read Only user reads the permission sets and their deployments, with no edit control', async () => {
    await harness.inviteThroughApi('reader@example.com', 'Reader', 'customer_readonly');
    const reader = await harness.newPage();
    await harness.firstSignIn(reader, 'reader@example.com');
    await harness.openPage(reader, 'Permission sets', 'Permission sets');
    await reader.getByRole('cell', { name: SET_NAME, exact: true }).waitFor();
    await expect(reader.getByRole('form').count()).resolves.toBe(0);
    await expect(reader.getByRole('button', { name: /^(Edit|Delete) / }).count()).resolves.toBe(0);
    await harness.screenshot(reader, 'readonly-list');

    await reader.getByRole('button', { name: `Details of ${SET_NAME}` }).click();
    const accountRow = reader
      .getByRole('table', { name: 'Deployment to each account of Developers on Development' })
      .getByRole('row', { name: new RegExp(DEV_ACCOUNT.id) });
    await expect(accountRow.textContent()).resolves.toContain('DEPLOYMENT_COMPLETE');
    await expect(reader.getByRole('form').count()).resolves.toBe(0);
    await expect(reader.getByRole('button', { name: /^(Redeploy|Remove)/ }).count()).resolves.toBe(0);
    await expect(reader.getByRole('button', { name: 'Refresh' }).count()).resolves.toBe(1);
    await harness.screenshot(reader, 'readonly-detail');
    await reader.context().close();
  });

  it('an Admin removes the assignment after confirming it, then deletes the permission set', async () => {
    await harness.openPage(admin, 'Groups', 'Groups');
    await harness.openPage(admin, 'Permission sets', 'Permission sets');
    await admin.getByRole('button', { name: `Details of ${SET_NAME}` }).click();
    await admin.getByRole('button', { name: 'Remove the assignment to Developers on Development' }).click();
    await expect(admin.getByRole('dialog').textContent()).resolves.toContain(
      `Remove ${SET_NAME} from Developers on Development? Its role is deleted from those accounts.`,
    );
    await harness.screenshot(admin, 'remove-confirm');
    await admin.getByRole('button', { name: 'Yes, remove it from Developers on Development' }).click();
    await admin.getByText('This permission set is not assigned yet').waitFor({ timeout: 30_000 });
    await harness.screenshot(admin, 'removed');

    await admin.getByRole('button', { name: 'Back to all permission sets' }).click();
    await admin.getByRole('button', { name: `Delete ${SET_NAME}` }).click();
    await admin.getByRole('button', { name: `Yes, delete ${SET_NAME}` }).click();
    await admin.getByText(`Permission set ${SET_NAME} is deleted.`).waitFor();
    await expect(permissionSetNames()).resolves.toEqual([SET_NAME, 'Scratch']);
  });
});
