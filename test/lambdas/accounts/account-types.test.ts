import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { createAccountTypeHandler } from '@/lambdas/accounts/create-account-type';
import { deleteAccountTypeHandler } from '@/lambdas/accounts/delete-account-type';
import { readAccountHandler } from '@/lambdas/accounts/read-account';
import { readAccountTypeHandler } from '@/lambdas/accounts/read-account-type';
import { readAccountTypesHandler } from '@/lambdas/accounts/read-account-types';
import { updateAccountTypeHandler } from '@/lambdas/accounts/update-account-type';
import { updateAccountTypeMembersHandler } from '@/lambdas/accounts/update-account-type-members';
import { newId } from '@/lambdas/shared/ids';
import { ENTITY, entityKey } from '@/lambdas/shared/keys';
import { schemaErrors } from '@/lambdas/shared/spec-schemas';
import { readTaskHandler } from '@/lambdas/tasks/read-task';
import {
  createHarness,
  type Harness,
  ORGANISATION_ID,
  putAccount,
  UNKNOWN_ID,
} from '@/test/lambdas/tasks/harness';
import { ADMIN, invoke, READONLY } from '@/test/support/api-event';

let h: Harness;
const deps = () => h.deps;
const create = createAccountTypeHandler(deps);
const readTypes = readAccountTypesHandler(deps);
const readType = readAccountTypeHandler(deps);
const update = updateAccountTypeHandler(deps);
const remove = deleteAccountTypeHandler(deps);
const moveMembers = updateAccountTypeMembersHandler(deps);
const readAccount = readAccountHandler(deps);
const readTask = readTaskHandler(deps);

beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.drop());
beforeEach(() => {
  h.audit.events.length = 0;
  h.audit.failWith = undefined;
});

let counter = 0;
function uniqueName(prefix = 'Type'): string {
  counter += 1;
  return `${prefix}-${counter}-${newId().slice(0, 6)}`;
}

interface AccountTypeBody {
  Id: string;
  Name: string;
  Accounts: string[];
  Roles: unknown[];
  Status: string;
}

async function createType(name = uniqueName()): Promise<string> {
  const response = await invoke(create, { method: 'POST', body: { Name: name }, caller: ADMIN });
  expect(response.status).toBe(200);
  return (response.body as { Detail: { AccountType: { Id: string } } }).Detail.AccountType.Id;
}

async function typeOf(id: string): Promise<AccountTypeBody | undefined> {
  const response = await invoke(readType, { pathParameters: { account_type_id: id }, caller: READONLY });
  return (response.body as { AccountTypes: AccountTypeBody[] }).AccountTypes[0];
}

async function expectRefused(
  run: () => Promise<{ status: number; body: unknown }>,
  status: number,
  error: string | RegExp,
): Promise<void> {
  const before = await h.snapshot();
  const events = h.audit.events.length;
  const response = await run();
  expect(response.status).toBe(status);
  const message = (response.body as { Error: string }).Error;
  if (typeof error === 'string') expect(message).toBe(error);
  else expect(message).toMatch(error);
  expect(await h.snapshot()).toEqual(before);
  expect(h.audit.events.length).toBe(events);
}

describe('accounts.CreateAccountType', () => {
  it('creates an account type with no accounts, roles or policies', async () => {
    const name = uniqueName();
    const response = await invoke(create, {
      method: 'POST',
      path: '/20190206/accounts/types',
      body: { Name: name },
      caller: ADMIN,
    });
    expect(response.status).toBe(200);
    expect(schemaErrors('accounts.CreateAccountTypeResponse', response.body)).toEqual([]);
    const type = (response.body as { Detail: { AccountType: AccountTypeBody } }).Detail.AccountType;
    expect(type).toEqual({
      Id: expect.any(String),
      OrganisationId: ORGANISATION_ID,
      Name: name,
      Status: 'ACTIVE',
      Accounts: [],
      Policies: [],
      Roles: [],
      CreatedBy: ADMIN.id,
      CreatedTS: expect.any(String),
      ModifiedTS: expect.any(String),
      StaxCreated: false,
    });
    expect(await typeOf(type.Id)).toEqual(type);
    expect(h.audit.events).toHaveLength(1);
    expect(h.audit.events[0]).toMatchObject({
      staxEventType: 'accounts.CreateAccountType',
      target: [{ type: 'account-type', id: type.Id, name }],
    });
  });

  it('refuses a name taken in any case (409)', async () => {
    const name = uniqueName();
    await createType(name);
    await expectRefused(
      () => invoke(create, { method: 'POST', body: { Name: name.toLowerCase() }, caller: ADMIN }),
      409,
      `An account type named "${name.toLowerCase()}" already exists: choose another name`,
    );
  });

  test.each([
    [{}, 'Body.Name: is required'],
    [{ Name: 'Dev', Extra: true }, 'Body.Extra: is not a known field: remove it or check the spelling'],
    [{ Name: 'bad#name' }, 'Body.Name: must match pattern "^[a-zA-Z0-9+\\-=._:/@ ]*$"'],
    [{ Name: 'ab' }, 'Body.Name: must be 3 to 64 characters long'],
    [{ Name: 'y'.repeat(65) }, 'Body.Name: must NOT have more than 64 characters'],
  ])('refuses the body %j (400), writing nothing', async (body, error) => {
    await expectRefused(() => invoke(create, { method: 'POST', body, caller: ADMIN }), 400, error);
  });

  it('of two parallel creates with the same name, exactly one succeeds', async () => {
    const name = uniqueName();
    const responses = await Promise.all(
      [name, name.toUpperCase()].map((Name) =>
        invoke(create, { method: 'POST', body: { Name }, caller: ADMIN }),
      ),
    );
    expect(responses.map((response) => response.status).sort()).toEqual([200, 409]);
    const all = await invoke(readTypes, { caller: READONLY });
    const named = (all.body as { AccountTypes: AccountTypeBody[] }).AccountTypes.filter(
      (type) => type.Name.toLowerCase() === name.toLowerCase(),
    );
    expect(named).toHaveLength(1);
  });

  it('changes nothing when the audit event cannot be written', async () => {
    h.audit.failWith = new Error('bucket unreachable');
    const logged = jest.spyOn(console, 'error').mockImplementation(() => {});
    const before = await h.snapshot();
    const response = await invoke(create, { method: 'POST', body: { Name: uniqueName() }, caller: ADMIN });
    expect(response.status).toBe(503);
    expect(logged).toHaveBeenCalledWith(expect.stringContaining('bucket unreachable'));
    logged.mockRestore();
    expect(await h.snapshot()).toEqual(before);
  });
});

describe('accounts.ReadAccountTypes and ReadAccountType', () => {
  it('lists account types by name, and id_filter selects', async () => {
    const [first, second] = [await createType(uniqueName('AAA')), await createType(uniqueName('BBB'))];
    const all = await invoke(readTypes, { path: '/20190206/accounts/types', caller: READONLY });
    expect(all.status).toBe(200);
    expect(schemaErrors('accounts.ReadAccountTypes', all.body)).toEqual([]);
    const names = (all.body as { AccountTypes: AccountTypeBody[] }).AccountTypes.map((type) =>
      type.Name.toLowerCase(),
    );
    expect(names).toEqual([...names].sort());

    const filtered = await invoke(readTypes, {
      query: { id_filter: `${second},${first}` },
      caller: READONLY,
    });
    expect(
      (filtered.body as { AccountTypes: AccountTypeBody[] }).AccountTypes.map((type) => type.Id),
    ).toEqual([first, second]);
    const one = await invoke(readType, { pathParameters: { account_type_id: first }, caller: READONLY });
    expect(one.status).toBe(200);
    expect(schemaErrors('accounts.ReadAccountTypes', one.body)).toEqual([]);
  });

  it('answers 404 for an unknown account type, 400 for a bad id or query', async () => {
    expect(
      await invoke(readType, { pathParameters: { account_type_id: UNKNOWN_ID }, caller: READONLY }),
    ).toMatchObject({
      status: 404,
      body: { Error: `Account type "${UNKNOWN_ID}" not found` },
    });
    expect(
      await invoke(readType, { pathParameters: { account_type_id: 'abc' }, caller: READONLY }),
    ).toMatchObject({
      status: 400,
      body: { Error: 'account_type_id: must be a UUID, e.g. "ec5eaa8f-da06-4935-b5ce-05bd957c8bdc"' },
    });
    expect(await invoke(readTypes, { query: { id_filter: 'x' }, caller: READONLY })).toMatchObject({
      status: 400,
    });
  });
});

describe('accounts.UpdateAccountType', () => {
  it('renames an account type; the old name is free again', async () => {
    const oldName = uniqueName();
    const id = await createType(oldName);
    const newName = uniqueName();
    const response = await invoke(update, {
      method: 'PUT',
      pathParameters: { account_type_id: id },
      body: { Name: newName },
      caller: ADMIN,
    });
    expect(response.status).toBe(200);
    expect(schemaErrors('accounts.UpdateAccountTypeResponse', response.body)).toEqual([]);
    expect((response.body as { AccountTypes: AccountTypeBody }).AccountTypes.Name).toBe(newName);
    expect((await typeOf(id))?.Name).toBe(newName);
    await createType(oldName);
  });

  it('refuses a taken name (409) and an unknown account type (404)', async () => {
    const taken = uniqueName();
    await createType(taken);
    const id = await createType();
    await expectRefused(
      () =>
        invoke(update, {
          method: 'PUT',
          pathParameters: { account_type_id: id },
          body: { Name: taken },
          caller: ADMIN,
        }),
      409,
      `An account type named "${taken}" already exists: choose another name`,
    );
    await expectRefused(
      () =>
        invoke(update, {
          method: 'PUT',
          pathParameters: { account_type_id: UNKNOWN_ID },
          body: { Name: uniqueName() },
          caller: ADMIN,
        }),
      404,
      `Account type "${UNKNOWN_ID}" not found`,
    );
  });
});

describe('accounts.DeleteAccountType', () => {
  it('deletes an account type with no accounts and reports it DELETED', async () => {
    const name = uniqueName();
    const id = await createType(name);
    const response = await invoke(remove, {
      method: 'DELETE',
      pathParameters: { account_type_id: id },
      caller: ADMIN,
    });
    expect(response.status).toBe(200);
    expect(schemaErrors('accounts.DeleteAccountTypeResponse', response.body)).toEqual([]);
    expect((response.body as { AccountTypes: AccountTypeBody }).AccountTypes).toMatchObject({
      Id: id,
      Status: 'DELETED',
    });
    expect(
      (await invoke(readType, { pathParameters: { account_type_id: id }, caller: READONLY })).status,
    ).toBe(404);
    await createType(name);
  });

  it('refuses an account type that holds accounts (400) and an unknown one (404)', async () => {
    const id = await createType();
    const account = await putAccount(h);
    const moved = await invoke(moveMembers, {
      method: 'PUT',
      body: { Members: [{ AccountId: account.id, AccountTypeId: id }] },
      caller: ADMIN,
    });
    expect(moved.status).toBe(200);
    await expectRefused(
      () => invoke(remove, { method: 'DELETE', pathParameters: { account_type_id: id }, caller: ADMIN }),
      400,
      /still has 1 account\(s\): move them to another account type/,
    );
    await expectRefused(
      () =>
        invoke(remove, { method: 'DELETE', pathParameters: { account_type_id: UNKNOWN_ID }, caller: ADMIN }),
      404,
      `Account type "${UNKNOWN_ID}" not found`,
    );
  });
});

describe('accounts.UpdateAccountTypeMembers', () => {
  it('moves accounts between account types, by id or by name, and keeps both sides in step', async () => {
    const [fromName, toName] = [uniqueName(), uniqueName()];
    const [from, to] = [await createType(fromName), await createType(toName)];
    const [a, b] = [await putAccount(h), await putAccount(h)];
    const first = await invoke(moveMembers, {
      method: 'PUT',
      path: '/20190206/account-types/members',
      body: {
        Members: [
          { AccountId: a.id, AccountTypeId: from },
          { AccountId: b.id, AccountTypeName: fromName.toUpperCase() },
        ],
      },
      caller: ADMIN,
    });
    expect(first.status).toBe(200);
    expect(schemaErrors('accounts.UpdateAccountTypeMembersEvent', first.body)).toEqual([]);
    expect((await typeOf(from))?.Accounts.sort()).toEqual([a.id, b.id].sort());

    h.audit.events.length = 0;
    const second = await invoke(moveMembers, {
      method: 'PUT',
      body: { Members: [{ AccountId: a.id, AccountTypeName: toName }] },
      caller: ADMIN,
    });
    expect(second.status).toBe(200);
    expect((await typeOf(from))?.Accounts).toEqual([b.id]);
    expect((await typeOf(to))?.Accounts).toEqual([a.id]);
    const account = await invoke(readAccount, { pathParameters: { account_id: a.id }, caller: READONLY });
    expect((account.body as { Accounts: { AccountType: string }[] }).Accounts[0]?.AccountType).toBe(to);

    // The account type item carries its accounts' AWS ids for sign-in.
    const item = await h.table.doc.send(
      new GetCommand({ TableName: h.table.tableName, Key: entityKey(ENTITY.accountType, to) }),
    );
    expect(item.Item?.AwsAccounts).toEqual([
      {
        AccountId: a.id,
        AwsAccountId: a.awsAccountId,
        Name: `account-${a.awsAccountId}`,
        Status: 'ACTIVE',
        AccountRole: 'MEMBER',
      },
    ]);

    const taskId = (second.body as { Detail: { TaskId: string } }).Detail.TaskId;
    const task = await invoke(readTask, { pathParameters: { task_id: taskId }, caller: READONLY });
    expect(schemaErrors('tasks.ReadTask', task.body)).toEqual([]);
    expect(task.body).toMatchObject({ Status: 'SUCCEEDED', Accounts: [a.id] });
    expect(h.audit.events).toHaveLength(1);
    expect(h.audit.events[0]).toMatchObject({ staxEventType: 'accounts.UpdateAccountTypeMembers' });
  });

  it.each(['SECURITY', 'LOGGING', 'MANAGEMENT'])(
    'refuses to put the %s account in an account type (400), moving nothing',
    async (role) => {
      const id = await createType();
      const [member, special] = [await putAccount(h), await putAccount(h)];
      await h.table.doc.send(
        new UpdateCommand({
          TableName: h.table.tableName,
          Key: entityKey(ENTITY.account, special.id),
          UpdateExpression: 'SET AccountRole = :role',
          ExpressionAttributeValues: { ':role': role },
        }),
      );
      await expectRefused(
        () =>
          invoke(moveMembers, {
            method: 'PUT',
            body: {
              Members: [
                { AccountId: member.id, AccountTypeId: id },
                { AccountId: special.id, AccountTypeId: id },
              ],
            },
            caller: ADMIN,
          }),
        400,
        new RegExp(
          `^Body\\.Members\\[1\\]\\.AccountId: account "account-${special.awsAccountId}" \\(${special.awsAccountId}\\) is the organization's ${role} account, which staxid depends on: it cannot be in an account type`,
        ),
      );
    },
  );

  it('is all or nothing: an unknown account refuses every move (404)', async () => {
    const id = await createType();
    const a = await putAccount(h);
    await expectRefused(
      () =>
        invoke(moveMembers, {
          method: 'PUT',
          body: {
            Members: [
              { AccountId: a.id, AccountTypeId: id },
              { AccountId: UNKNOWN_ID, AccountTypeId: id },
            ],
          },
          caller: ADMIN,
        }),
      404,
      `Account "${UNKNOWN_ID}" not found`,
    );
  });

  test.each([
    [{ Members: [] }, 'Body.Members: must list at least one {AccountId, AccountTypeId or AccountTypeName}'],
    [{}, 'Body.Members: is required'],
    [{ Members: [{ AccountId: UNKNOWN_ID }] }, /^Body\.Members\[0\]: .*AccountTypeId.*AccountTypeName/],
    [
      { Members: [{ AccountId: 'x', AccountTypeId: UNKNOWN_ID }] },
      /^Body\.Members\[0\]\.AccountId: must match pattern/,
    ],
    [
      { Members: [{ AccountId: UNKNOWN_ID, AccountTypeName: 'No such type' }] },
      'Account type "No such type" not found',
    ],
    [
      { Members: [{ AccountId: UNKNOWN_ID, AccountTypeId: UNKNOWN_ID }] },
      `Account "${UNKNOWN_ID}" not found`,
    ],
  ])('refuses the body %j, writing nothing', async (body, error) => {
    const status = typeof error === 'string' && error.endsWith('not found') ? 404 : 400;
    await expectRefused(() => invoke(moveMembers, { method: 'PUT', body, caller: ADMIN }), status, error);
  });

  it('refuses an account moved to two account types in one request (400)', async () => {
    const [x, y] = [await createType(), await createType()];
    const a = await putAccount(h);
    await expectRefused(
      () =>
        invoke(moveMembers, {
          method: 'PUT',
          body: {
            Members: [
              { AccountId: a.id, AccountTypeId: x },
              { AccountId: a.id, AccountTypeId: y },
            ],
          },
          caller: ADMIN,
        }),
      400,
      `Body.Members[1].AccountId: account ${a.id} is moved to two account types (${x} and ${y}): list it once`,
    );
  });

  it("refuses more moves than DynamoDB's 100-item transaction limit holds (400)", async () => {
    const id = await createType();
    const Members = Array.from({ length: 99 }, () => ({ AccountId: newId(), AccountTypeId: id }));
    await expectRefused(
      () => invoke(moveMembers, { method: 'PUT', body: { Members }, caller: ADMIN }),
      400,
      /^Body\.Members: this change would write 101 items .*at most 100 \(DynamoDB's transaction limit\)/,
    );
  });

  it('loses no move when parallel requests move accounts into one account type', async () => {
    const id = await createType();
    const accounts = await Promise.all(Array.from({ length: 5 }, () => putAccount(h)));
    const responses = await Promise.all(
      accounts.map((account) =>
        invoke(moveMembers, {
          method: 'PUT',
          body: { Members: [{ AccountId: account.id, AccountTypeId: id }] },
          caller: ADMIN,
        }),
      ),
    );
    expect(responses.map((response) => response.status)).toEqual(accounts.map(() => 200));
    expect((await typeOf(id))?.Accounts.sort()).toEqual(accounts.map((account) => account.id).sort());
  });
});
