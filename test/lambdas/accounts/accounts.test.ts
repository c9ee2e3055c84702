import { builtinEntitlements } from '@/lambdas/accounts/accounts';
import { createAccountTypeHandler } from '@/lambdas/accounts/create-account-type';
import { readAccountHandler } from '@/lambdas/accounts/read-account';
import { readAccountsHandler } from '@/lambdas/accounts/read-accounts';
import { updateAccountTypeAccessHandler } from '@/lambdas/accounts/update-account-type-access';
import { updateAccountTypeMembersHandler } from '@/lambdas/accounts/update-account-type-members';
import { createGroupHandler } from '@/lambdas/groups/create-group';
import { updateGroupMembersHandler } from '@/lambdas/groups/update-group-members';
import { newId } from '@/lambdas/shared/ids';
import { schemaErrors } from '@/lambdas/shared/spec-schemas';
import {
  CONSOLE_URL,
  createHarness,
  type Harness,
  ORGANISATION_ID,
  putAccount,
  putUser,
  UNKNOWN_ID,
} from '@/test/lambdas/tasks/harness';
import { ADMIN, API_ADMIN, invoke, READONLY, USER } from '@/test/support/api-event';

let h: Harness;
const deps = () => h.deps;
const readAccounts = readAccountsHandler(deps);
const readAccount = readAccountHandler(deps);

interface AccountBody {
  Id: string;
  Name: string;
  AwsAccountId: string;
  AccountType: string | null;
  Status: string;
  AWSLoginURLs: Record<string, string>;
}

async function as<T>(response: Promise<{ status: number; body: unknown }>): Promise<T> {
  const { status, body } = await response;
  expect(status).toBe(200);
  return body as T;
}

const world = {
  typeWithAccess: '',
  otherType: '',
  active: { id: '', awsAccountId: '' },
  other: { id: '', awsAccountId: '' },
  untyped: { id: '', awsAccountId: '' },
  suspended: { id: '', awsAccountId: '' },
  pagedType: '',
  paged: [] as { id: string; awsAccountId: string }[],
};

beforeAll(async () => {
  h = await createHarness();
  const createType = createAccountTypeHandler(deps);
  const createGroup = createGroupHandler(deps);
  const members = updateGroupMembersHandler(deps);
  const access = updateAccountTypeAccessHandler(deps);
  const move = updateAccountTypeMembersHandler(deps);
  const type = async (Name: string) =>
    (
      await as<{ Detail: { AccountType: { Id: string } } }>(
        invoke(createType, { method: 'POST', body: { Name }, caller: ADMIN }),
      )
    ).Detail.AccountType.Id;
  const group = async (Name: string) =>
    (await as<{ GroupId: string }>(invoke(createGroup, { method: 'POST', body: { Name }, caller: ADMIN })))
      .GroupId;

  world.typeWithAccess = await type('Development');
  world.otherType = await type('Production');
  world.pagedType = await type('Paged');
  const [mine, notMine] = [await group('Mine'), await group('Not mine')];
  await putUser(h, { id: USER.id });
  await as(
    invoke(members, {
      method: 'PUT',
      body: { AddMembers: [{ GroupId: mine, UserId: USER.id }] },
      caller: ADMIN,
    }),
  );
  await as(
    invoke(access, {
      method: 'PUT',
      body: {
        AddRoles: [
          { AccountTypeId: world.typeWithAccess, GroupId: mine, RoleName: 'admin' },
          { AccountTypeId: world.typeWithAccess, GroupId: mine, RoleName: 'readonly' },
          { AccountTypeId: world.typeWithAccess, GroupId: notMine, RoleName: 'developer' },
          { AccountTypeId: world.otherType, GroupId: mine, RoleName: 'developer' },
        ],
      },
      caller: ADMIN,
    }),
  );
  world.active = await putAccount(h, { name: 'dev-active' });
  world.other = await putAccount(h, { name: 'prod' });
  world.untyped = await putAccount(h, { name: 'untyped' });
  world.suspended = await putAccount(h, { name: 'dev-suspended', status: 'SUSPENDED' });
  world.paged = [];
  for (let index = 0; index < 25; index++) {
    world.paged.push(await putAccount(h, { name: `paged-${String(index).padStart(2, '0')}` }));
  }
  await as(
    invoke(move, {
      method: 'PUT',
      body: {
        Members: [
          { AccountId: world.active.id, AccountTypeId: world.typeWithAccess },
          { AccountId: world.suspended.id, AccountTypeId: world.typeWithAccess },
          { AccountId: world.other.id, AccountTypeId: world.otherType },
          ...world.paged.map((account) => ({ AccountId: account.id, AccountTypeId: world.pagedType })),
        ],
      },
      caller: ADMIN,
    }),
  );
});
afterAll(() => h.drop());

function url(awsAccountId: string, role: string): string {
  return `${CONSOLE_URL}/#/sign-in?account=${awsAccountId}&role=${role}`;
}

describe('accounts.ReadAccounts', () => {
  it('gives every account the AWS login URLs of the roles the caller holds there through their groups', async () => {
    const response = await invoke(readAccounts, { path: '/20190206/accounts', caller: USER });
    expect(response.status).toBe(200);
    expect(schemaErrors('accounts.ReadAccounts', response.body)).toEqual([]);
    const accounts = (response.body as { Accounts: AccountBody[] }).Accounts;
    expect(accounts).toHaveLength(29);
    const byId = new Map(accounts.map((account) => [account.Id, account]));
    expect(byId.get(world.active.id)).toEqual({
      Id: world.active.id,
      OrganisationId: ORGANISATION_ID,
      Name: 'dev-active',
      AwsAccountId: world.active.awsAccountId,
      Email: `${world.active.awsAccountId}@example.com`,
      Status: 'ACTIVE',
      AccountRole: 'MEMBER',
      AccountType: world.typeWithAccess,
      Origin: 'EXTERNAL',
      StaxCreated: false,
      CreatedTS: expect.any(String),
      ModifiedTS: expect.any(String),
      AWSLoginURLs: {
        admin: url(world.active.awsAccountId, 'staxid-admin-role'),
        readonly: url(world.active.awsAccountId, 'staxid-readonly-role'),
      },
    });
    expect(byId.get(world.other.id)?.AWSLoginURLs).toEqual({
      developer: url(world.other.awsAccountId, 'staxid-developer-role'),
    });
    expect(byId.get(world.untyped.id)).toMatchObject({ AccountType: null, AWSLoginURLs: {} });
    // A SUSPENDED account cannot be signed in to.
    expect(byId.get(world.suspended.id)?.AWSLoginURLs).toEqual({});
    expect(response.body).not.toHaveProperty('Paging');
  });

  it('gives no login URLs to callers who hold no role there, and none to API tokens', async () => {
    for (const caller of [ADMIN, API_ADMIN, READONLY]) {
      const body = await as<{ Accounts: AccountBody[] }>(invoke(readAccounts, { caller }));
      expect(body.Accounts.every((account) => Object.keys(account.AWSLoginURLs).length === 0)).toBe(true);
    }
  });

  it('filters by name, status, id, AWS account id and account type', async () => {
    const ids = async (query: Record<string, string>) =>
      (await as<{ Accounts: AccountBody[] }>(invoke(readAccounts, { query, caller: READONLY }))).Accounts.map(
        (account) => account.Id,
      ).sort();
    expect(await ids({ account_names: 'DEV-ACTIVE, prod' })).toEqual(
      [world.active.id, world.other.id].sort(),
    );
    expect(await ids({ filter: 'suspended' })).toEqual([world.suspended.id]);
    expect(await ids({ id_filter: `${world.untyped.id},${UNKNOWN_ID}` })).toEqual([world.untyped.id]);
    expect(await ids({ aws_account_id_filter: world.other.awsAccountId })).toEqual([world.other.id]);
    expect(await ids({ account_type_filter: world.typeWithAccess })).toEqual(
      [world.active.id, world.suspended.id].sort(),
    );
    expect(
      await ids({ account_type_filter: world.typeWithAccess, filter: 'ACTIVE', include_tags: 'false' }),
    ).toEqual([world.active.id]);
  });

  it('pages with offset and limit, and reports Total, NextOffset and PrevOffset', async () => {
    const page = (offset: number, limit: number) =>
      as<{ Accounts: AccountBody[]; Paging: unknown }>(
        invoke(readAccounts, {
          query: {
            account_type_filter: world.pagedType,
            sort: 'Name',
            sort_order: 'ASC',
            offset: String(offset),
            limit: String(limit),
          },
          caller: READONLY,
        }),
      );
    const first = await page(0, 10);
    expect(schemaErrors('accounts.ReadAccounts', first)).toEqual([]);
    expect(first.Accounts.map((account) => account.Name)).toEqual(
      Array.from({ length: 10 }, (_, index) => `paged-${String(index).padStart(2, '0')}`),
    );
    expect(first.Paging).toEqual({ Total: 25, NextOffset: 10, PrevOffset: null });
    const second = await page(10, 10);
    expect(second.Accounts[0]?.Name).toBe('paged-10');
    expect(second.Paging).toEqual({ Total: 25, NextOffset: 20, PrevOffset: 0 });
    const last = await page(20, 10);
    expect(last.Accounts.map((account) => account.Name)).toEqual([
      'paged-20',
      'paged-21',
      'paged-22',
      'paged-23',
      'paged-24',
    ]);
    expect(last.Paging).toEqual({ Total: 25, NextOffset: null, PrevOffset: 10 });
    const beyond = await page(40, 10);
    expect(beyond).toEqual({ Accounts: [], Paging: { Total: 25, NextOffset: null, PrevOffset: 30 } });

    const descending = await as<{ Accounts: AccountBody[] }>(
      invoke(readAccounts, {
        query: { account_type_filter: world.pagedType, sort: 'Name', limit: '2' },
        caller: READONLY,
      }),
    );
    expect(descending.Accounts.map((account) => account.Name)).toEqual(['paged-24', 'paged-23']);
  });

  test.each([
    [{ filter: 'SLEEPING' }, /^filter: "SLEEPING" is not an account status: use ACTIVE, /],
    [{ limit: '0' }, 'limit: must be a whole number from 1 to 1000'],
    [{ limit: 'ten' }, 'limit: must be a whole number from 1 to 1000'],
    [{ offset: '-1' }, /^offset: must be a whole number from 0 to /],
    [{ sort: 'Colour' }, /^sort: must be one of Name, AwsAccountId/],
    [{ sort_order: 'UP' }, 'sort_order: must be ASC or DESC'],
    [{ include_tags: 'yes' }, 'include_tags: must be true or false'],
    [{ id_filter: 'abc' }, /^id_filter: "abc" is not a UUID/],
    [{ account_type_filter: '1,2' }, /^account_type_filter: "1" is not a UUID/],
    [{ aws_account_id_filter: '1234' }, 'aws_account_id_filter: "1234" is not a 12-digit AWS account id'],
    [{ page: '2' }, /^page: is not a query parameter of this operation/],
  ])('refuses the query %j (400)', async (query, error) => {
    const response = await invoke(readAccounts, { query, caller: READONLY });
    expect(response.status).toBe(400);
    const message = (response.body as { Error: string }).Error;
    if (typeof error === 'string') expect(message).toBe(error);
    else expect(message).toMatch(error);
  });
});

describe('accounts.ReadAccount', () => {
  it("returns the account with the caller's login URLs", async () => {
    const response = await invoke(readAccount, {
      path: `/20190206/accounts/${world.other.id}`,
      pathParameters: { account_id: world.other.id },
      caller: USER,
    });
    expect(response.status).toBe(200);
    expect(schemaErrors('accounts.ReadAccounts', response.body)).toEqual([]);
    expect((response.body as { Accounts: AccountBody[] }).Accounts).toEqual([
      expect.objectContaining({
        Id: world.other.id,
        AWSLoginURLs: { developer: url(world.other.awsAccountId, 'staxid-developer-role') },
      }),
    ]);
  });

  it('answers 404 for an unknown account and 400 for a bad id', async () => {
    expect(
      await invoke(readAccount, { pathParameters: { account_id: UNKNOWN_ID }, caller: READONLY }),
    ).toMatchObject({
      status: 404,
      body: { Error: `Account "${UNKNOWN_ID}" not found` },
    });
    expect(
      await invoke(readAccount, { pathParameters: { account_id: newId().slice(1) }, caller: READONLY }),
    ).toMatchObject({
      status: 400,
    });
  });
});

describe('builtinEntitlements', () => {
  it("lists every (ACTIVE account, role) a user holds, as ReadAccounts' login URLs show them", async () => {
    expect(await builtinEntitlements(h.deps.db, USER.id)).toEqual([
      {
        accountId: world.active.id,
        awsAccountId: world.active.awsAccountId,
        accountName: 'dev-active',
        level: 'admin',
        roleName: 'staxid-admin-role',
      },
      {
        accountId: world.active.id,
        awsAccountId: world.active.awsAccountId,
        accountName: 'dev-active',
        level: 'readonly',
        roleName: 'staxid-readonly-role',
      },
      {
        accountId: world.other.id,
        awsAccountId: world.other.awsAccountId,
        accountName: 'prod',
        level: 'developer',
        roleName: 'staxid-developer-role',
      },
    ]);
    expect(await builtinEntitlements(h.deps.db, ADMIN.id)).toEqual([]);
  });
});
