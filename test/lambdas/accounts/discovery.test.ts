import { ListAccountsCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { createAccountTypeHandler } from '@/lambdas/accounts/create-account-type';
import { discoverAccountsHandler } from '@/lambdas/accounts/discover-accounts';
import { accountRoleFor, staxAccountName } from '@/lambdas/accounts/discovery';
import { readAccountsHandler } from '@/lambdas/accounts/read-accounts';
import { updateAccountTypeMembersHandler } from '@/lambdas/accounts/update-account-type-members';
import { ENTITY, entityKey } from '@/lambdas/shared/keys';
import {
  AwsOrganization,
  type OrganizationAccount,
  SimulatedOrganization,
  type SimulatedOrganizationDescription,
} from '@/lambdas/shared/organization';
import { schemaErrors } from '@/lambdas/shared/spec-schemas';
import { readTaskHandler } from '@/lambdas/tasks/read-task';
import { DEFAULT_LOCAL_ORGANIZATION } from '@/local/organization';
import { createHarness, type Harness } from '@/test/lambdas/tasks/harness';
import { ADMIN, invoke, READONLY } from '@/test/support/api-event';

let h: Harness;
const deps = () => h.deps;
const discover = discoverAccountsHandler(deps);
const readAccounts = readAccountsHandler(deps);
const readTask = readTaskHandler(deps);

interface AccountBody {
  Id: string;
  Name: string;
  AwsAccountId: string;
  Status: string;
  AccountRole: string;
  Email?: string;
  AccountType: string | null;
}

beforeEach(async () => {
  h = await createHarness();
  h.organization = new SimulatedOrganization(DEFAULT_LOCAL_ORGANIZATION);
});
afterEach(() => h.drop());

async function accounts(): Promise<AccountBody[]> {
  const response = await invoke(readAccounts, {
    query: { sort: 'AwsAccountId', sort_order: 'ASC' },
    caller: READONLY,
  });
  expect(response.status).toBe(200);
  return (response.body as { Accounts: AccountBody[] }).Accounts;
}

async function runDiscovery(): Promise<{ TaskId: string }> {
  const response = await invoke(discover, {
    method: 'POST',
    path: '/20190206/accounts/discover',
    caller: ADMIN,
  });
  expect(response.status).toBe(200);
  expect(schemaErrors('accounts.DiscoverAccountsResponse', response.body)).toEqual([]);
  return response.body as { TaskId: string };
}

function organization(accountList: SimulatedOrganizationDescription['Accounts']): SimulatedOrganization {
  return new SimulatedOrganization({ ...DEFAULT_LOCAL_ORGANIZATION, Accounts: accountList });
}

const accountItems = async () =>
  (await h.snapshot()).filter(
    (item) => String(item.PK).startsWith('ACCOUNT#') || String(item.PK).startsWith('ACCOUNTTYPE#'),
  );

describe('accounts.DiscoverAccounts', () => {
  it('creates the accounts of the organization, with their roles, and records the task', async () => {
    const response = await runDiscovery();
    expect(response).toMatchObject({
      CustomerId: h.deps.organisationId,
      Detail: { OperationStatus: 'SUCCEEDED' },
    });
    const found = await accounts();
    expect(
      found.map(({ AwsAccountId, Name, AccountRole, Status, Email, AccountType }) => ({
        AwsAccountId,
        Name,
        AccountRole,
        Status,
        Email,
        AccountType,
      })),
    ).toEqual([
      {
        AwsAccountId: '100000000001',
        Name: 'management',
        AccountRole: 'MANAGEMENT',
        Status: 'ACTIVE',
        Email: 'aws+management@example.com',
        AccountType: null,
      },
      {
        AwsAccountId: '100000000002',
        Name: 'security',
        AccountRole: 'SECURITY',
        Status: 'ACTIVE',
        Email: 'aws+security@example.com',
        AccountType: null,
      },
      {
        AwsAccountId: '100000000003',
        Name: 'logging',
        AccountRole: 'LOGGING',
        Status: 'ACTIVE',
        Email: 'aws+logging@example.com',
        AccountType: null,
      },
      {
        AwsAccountId: '100000000004',
        Name: 'workload-dev',
        AccountRole: 'MEMBER',
        Status: 'ACTIVE',
        Email: 'aws+workload-dev@example.com',
        AccountType: null,
      },
      {
        AwsAccountId: '100000000005',
        Name: 'workload-test',
        AccountRole: 'MEMBER',
        Status: 'ACTIVE',
        Email: 'aws+workload-test@example.com',
        AccountType: null,
      },
      {
        AwsAccountId: '100000000006',
        Name: 'workload-prod',
        AccountRole: 'MEMBER',
        Status: 'ACTIVE',
        Email: 'aws+workload-prod@example.com',
        AccountType: null,
      },
    ]);
    const task = await invoke(readTask, { pathParameters: { task_id: response.TaskId }, caller: READONLY });
    expect(schemaErrors('tasks.ReadTask', task.body)).toEqual([]);
    expect((task.body as { Accounts: string[] }).Accounts.sort()).toEqual(
      found.map((account) => account.Id).sort(),
    );
    expect(h.audit.events).toHaveLength(1);
    expect(h.audit.events[0]).toMatchObject({
      staxEventType: 'accounts.DiscoverAccounts',
      outcome: 'SUCCESS',
      detail: {
        organizationAccounts: 6,
        created: expect.arrayContaining(['100000000001']),
        taskId: response.TaskId,
      },
    });
  });

  it('is idempotent: a second run changes no account', async () => {
    await runDiscovery();
    const before = await accountItems();
    const second = await runDiscovery();
    expect(await accountItems()).toEqual(before);
    const task = await invoke(readTask, { pathParameters: { task_id: second.TaskId }, caller: READONLY });
    expect(task.body).toEqual({
      Status: 'SUCCEEDED',
      Logs: ['Every account was up to date: nothing changed'],
    });
  });

  it('updates names and states, creates new accounts, offboards removed ones, and keeps account types in step', async () => {
    await runDiscovery();
    const initial = await accounts();
    const dev = initial.find((account) => account.AwsAccountId === '100000000004');
    const createType = createAccountTypeHandler(deps);
    const typeResponse = await invoke(createType, {
      method: 'POST',
      body: { Name: 'Development' },
      caller: ADMIN,
    });
    const typeId = (typeResponse.body as { Detail: { AccountType: { Id: string } } }).Detail.AccountType.Id;
    const move = updateAccountTypeMembersHandler(deps);
    expect(
      (
        await invoke(move, {
          method: 'PUT',
          body: { Members: [{ AccountId: dev?.Id, AccountTypeId: typeId }] },
          caller: ADMIN,
        })
      ).status,
    ).toBe(200);

    h.organization = organization([
      ...DEFAULT_LOCAL_ORGANIZATION.Accounts.filter((account) => account.Id !== '100000000006').map(
        (account) =>
          account.Id === '100000000004'
            ? { ...account, Name: 'Workload (dev) & co', State: 'SUSPENDED' as const }
            : account,
      ),
      { Id: '100000000007', Name: 'x', Email: 'aws+new@example.com', State: 'PENDING_CLOSURE' },
    ]);
    await runDiscovery();
    const after = new Map((await accounts()).map((account) => [account.AwsAccountId, account]));
    expect(after.get('100000000004')).toMatchObject({
      Id: dev?.Id,
      Name: 'Workload -dev- - co',
      Status: 'SUSPENDED',
      AccountType: typeId,
    });
    expect(after.get('100000000006')).toMatchObject({ Status: 'OFFBOARDED' });
    expect(after.get('100000000007')).toMatchObject({
      Name: '100000000007',
      Status: 'CLOSED',
      AccountRole: 'MEMBER',
    });
    const type = await h.table.doc.send(
      new GetCommand({ TableName: h.table.tableName, Key: entityKey(ENTITY.accountType, typeId) }),
    );
    expect(type.Item?.AwsAccounts).toEqual([
      {
        AccountId: dev?.Id,
        AwsAccountId: '100000000004',
        Name: 'Workload -dev- - co',
        Status: 'SUSPENDED',
        AccountRole: 'MEMBER',
      },
    ]);
    const raw = await h.table.doc.send(
      new GetCommand({ TableName: h.table.tableName, Key: entityKey(ENTITY.account, dev?.Id ?? '') }),
    );
    expect(raw.Item?.AwsAccountName).toBe('Workload (dev) & co');
  });

  it('writes an organization larger than one transaction in several, and stays idempotent', async () => {
    const many = Array.from({ length: 130 }, (_, index) => ({
      Id: String(300000000000 + index),
      Name: `account-${index}`,
      Email: `aws+${index}@example.com`,
    }));
    h.organization = organization(many);
    await runDiscovery();
    expect(await accounts()).toHaveLength(130);
    const before = await accountItems();
    await runDiscovery();
    expect(await accountItems()).toEqual(before);
  });

  it('two parallel discoveries create each account once', async () => {
    const responses = await Promise.all([
      invoke(discover, { method: 'POST', caller: ADMIN }),
      invoke(discover, { method: 'POST', caller: ADMIN }),
    ]);
    for (const response of responses) expect([200, 409]).toContain(response.status);
    expect(responses.some((response) => response.status === 200)).toBe(true);
    const found = await accounts();
    expect(found.map((account) => account.AwsAccountId)).toEqual(
      DEFAULT_LOCAL_ORGANIZATION.Accounts.map((account) => account.Id),
    );
  });

  it('changes nothing when the audit event cannot be written', async () => {
    h.audit.failWith = new Error('bucket unreachable');
    const logged = jest.spyOn(console, 'error').mockImplementation(() => {});
    const response = await invoke(discover, { method: 'POST', caller: ADMIN });
    expect(response.status).toBe(503);
    logged.mockRestore();
    expect(await h.snapshot()).toEqual([]);
  });

  it('answers 500 without detail when the organization cannot be read, and writes nothing', async () => {
    h.organization = { listAccounts: () => Promise.reject(new Error('AccessDenied on ListAccounts')) };
    const logged = jest.spyOn(console, 'error').mockImplementation(() => {});
    const response = await invoke(discover, { method: 'POST', caller: ADMIN });
    expect(response.status).toBe(500);
    expect((response.body as { Error: string }).Error).not.toMatch(/AccessDenied/);
    expect(logged).toHaveBeenCalledWith(expect.stringContaining('AccessDenied on ListAccounts'));
    logged.mockRestore();
    expect(await h.snapshot()).toEqual([]);
    expect(h.audit.events).toEqual([]);
  });

  it('refuses a body (400)', async () => {
    const response = await invoke(discover, { method: 'POST', body: { AccountId: '1' }, caller: ADMIN });
    expect(response).toMatchObject({
      status: 400,
      body: { Error: 'Body: this operation takes no request body: remove it' },
    });
  });
});

describe('staxAccountName and accountRoleFor', () => {
  test.each([
    ['workload-dev', 'workload-dev'],
    ['Team A & B (sandbox)', 'Team A - B -sandbox-'],
    ['x', '123456789012'],
    ['a'.repeat(50) + '!'.repeat(20), `${'a'.repeat(50)}${'-'.repeat(14)}`],
  ])('%j becomes %j', (name, expected) => {
    expect(staxAccountName(name, '123456789012')).toBe(expected);
    expect(schemaErrors('Account', { Id: ADMIN.id, OrganisationId: ADMIN.id, Name: expected })).toEqual([]);
  });

  it('knows the management, security and logging accounts', () => {
    const roles = { management: '1', security: '2', logging: '3' };
    expect(['1', '2', '3', '4'].map((id) => accountRoleFor(id, roles))).toEqual([
      'MANAGEMENT',
      'SECURITY',
      'LOGGING',
      'MEMBER',
    ]);
  });
});

describe('AwsOrganization', () => {
  const sts = mockClient(STSClient);
  const organizations = mockClient(OrganizationsClient);
  afterEach(() => {
    sts.reset();
    organizations.reset();
  });
  const roleArn = 'arn:aws:iam::111111111111:role/staxid-organizations-reader';

  function assumeRoleAnswers(): void {
    sts.on(AssumeRoleCommand).resolves({
      Credentials: {
        AccessKeyId: 'ASIAEXAMPLE',
        SecretAccessKey: 'secret',
        SessionToken: 'token',
        Expiration: new Date(Date.now() + 3600_000),
      },
    });
  }

  it('assumes the role in the management account and pages ListAccounts', async () => {
    assumeRoleAnswers();
    organizations
      .on(ListAccountsCommand, { NextToken: undefined })
      .resolves({
        Accounts: [{ Id: '111111111111', Name: 'management', Email: 'm@example.com', State: 'ACTIVE' }],
        NextToken: 'page-2',
      })
      .on(ListAccountsCommand, { NextToken: 'page-2' })
      .resolves({
        Accounts: [
          {
            Id: '222222222222',
            Name: 'member',
            Email: 'x@example.com',
            Status: 'SUSPENDED',
            JoinedTimestamp: new Date('2024-01-02T03:04:05Z'),
          },
        ],
      });
    const organization = new AwsOrganization({ roleArn, sts: new STSClient({ region: 'eu-west-1' }) });
    const expected: OrganizationAccount[] = [
      { id: '111111111111', name: 'management', email: 'm@example.com', state: 'ACTIVE' },
      {
        id: '222222222222',
        name: 'member',
        email: 'x@example.com',
        state: 'SUSPENDED',
        joinedAt: '2024-01-02T03:04:05.000Z',
      },
    ];
    expect(await organization.listAccounts()).toEqual(expected);
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(1);
    expect(sts.commandCalls(AssumeRoleCommand)[0]?.args[0].input).toMatchObject({
      RoleArn: roleArn,
      RoleSessionName: 'staxid-discover-accounts',
    });
    expect(organizations.commandCalls(ListAccountsCommand)).toHaveLength(2);

    // The assumed credentials are reused until they near expiry.
    await organization.listAccounts();
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(1);
  });

  it('feeds DiscoverAccounts', async () => {
    assumeRoleAnswers();
    organizations.on(ListAccountsCommand).resolves({
      Accounts: [{ Id: '100000000001', Name: 'management', Email: 'm@example.com', State: 'ACTIVE' }],
    });
    h.organization = new AwsOrganization({ roleArn, sts: new STSClient({ region: 'eu-west-1' }) });
    await runDiscovery();
    expect(
      (await accounts()).map(({ AwsAccountId, AccountRole }) => ({ AwsAccountId, AccountRole })),
    ).toEqual([{ AwsAccountId: '100000000001', AccountRole: 'MANAGEMENT' }]);
  });

  it('fails with the role named when it cannot be assumed, and refuses a malformed account id', async () => {
    sts.on(AssumeRoleCommand).rejects(new Error('AccessDenied'));
    await expect(
      new AwsOrganization({ roleArn, sts: new STSClient({ region: 'eu-west-1' }) }).listAccounts(),
    ).rejects.toThrow(`could not assume ${roleArn}`);
    sts.reset();
    assumeRoleAnswers();
    organizations.on(ListAccountsCommand).resolves({ Accounts: [{ Id: 'nope' }] });
    await expect(
      new AwsOrganization({ roleArn, sts: new STSClient({ region: 'eu-west-1' }) }).listAccounts(),
    ).rejects.toThrow('ListAccounts returned an account id "nope"');
  });
});
