import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { createAccountTypeHandler } from '@/lambdas/accounts/create-account-type';
import { readAccountTypeHandler } from '@/lambdas/accounts/read-account-type';
import { updateAccountTypeAccessHandler } from '@/lambdas/accounts/update-account-type-access';
import { createGroupHandler } from '@/lambdas/groups/create-group';
import { groupItem } from '@/lambdas/groups/group-items';
import { newId } from '@/lambdas/shared/ids';
import { schemaErrors } from '@/lambdas/shared/spec-schemas';
import { readTaskHandler } from '@/lambdas/tasks/read-task';
import { createHarness, type Harness, UNKNOWN_ID } from '@/test/lambdas/tasks/harness';
import { ADMIN, invoke, READONLY } from '@/test/support/api-event';

let h: Harness;
const deps = () => h.deps;
const access = updateAccountTypeAccessHandler(deps);
const createType = createAccountTypeHandler(deps);
const readType = readAccountTypeHandler(deps);
const createGroup = createGroupHandler(deps);
const readTask = readTaskHandler(deps);

beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.drop());
beforeEach(() => {
  h.audit.events.length = 0;
});

let counter = 0;
function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}-${newId().slice(0, 6)}`;
}

async function newType(): Promise<{ id: string; name: string }> {
  const name = uniqueName('Type');
  const response = await invoke(createType, { method: 'POST', body: { Name: name }, caller: ADMIN });
  return { id: (response.body as { Detail: { AccountType: { Id: string } } }).Detail.AccountType.Id, name };
}

async function newGroup(): Promise<{ id: string; name: string }> {
  const name = uniqueName('Group');
  const response = await invoke(createGroup, { method: 'POST', body: { Name: name }, caller: ADMIN });
  return { id: (response.body as { GroupId: string }).GroupId, name };
}

async function rolesOf(typeId: string): Promise<{ GroupId: string; RoleName: string }[]> {
  const response = await invoke(readType, { pathParameters: { account_type_id: typeId }, caller: READONLY });
  return (
    (response.body as { AccountTypes: { Roles: { GroupId: string; RoleName: string }[] }[] }).AccountTypes[0]
      ?.Roles ?? []
  );
}

async function expectRefused(body: unknown, status: number, error: string | RegExp): Promise<void> {
  const before = await h.snapshot();
  const events = h.audit.events.length;
  const response = await invoke(access, { method: 'PUT', body, caller: ADMIN });
  expect(response.status).toBe(status);
  const message = (response.body as { Error: string }).Error;
  if (typeof error === 'string') expect(message).toBe(error);
  else expect(message).toMatch(error);
  expect(await h.snapshot()).toEqual(before);
  expect(h.audit.events).toHaveLength(events);
}

describe('accounts.UpdateAccountTypeAccess', () => {
  it('grants and revokes roles, naming account types and groups by id or by name', async () => {
    const [dev, prod] = [await newType(), await newType()];
    const [devops, auditors] = [await newGroup(), await newGroup()];
    h.audit.events.length = 0;
    const response = await invoke(access, {
      method: 'PUT',
      path: '/20190206/accounts/types/access',
      body: {
        AddRoles: [
          { AccountTypeId: dev.id, GroupId: devops.id, RoleName: 'admin' },
          { AccountTypeName: prod.name.toUpperCase(), GroupName: devops.name, RoleName: 'developer' },
          { AccountTypeId: prod.id, GroupName: auditors.name.toLowerCase(), RoleName: 'readonly' },
          { AccountTypeName: dev.name, GroupId: auditors.id, RoleName: 'readonly' },
          { AccountTypeId: dev.id, AccountTypeName: dev.name, GroupId: devops.id, RoleName: 'admin' },
        ],
      },
      caller: ADMIN,
    });
    expect(response.status).toBe(200);
    expect(schemaErrors('accounts.UpdateAccountTypeAccessEvent', response.body)).toEqual([]);
    expect(await rolesOf(dev.id)).toEqual([
      { GroupId: devops.id, RoleName: 'admin' },
      { GroupId: auditors.id, RoleName: 'readonly' },
    ]);
    expect(await rolesOf(prod.id)).toEqual([
      { GroupId: devops.id, RoleName: 'developer' },
      { GroupId: auditors.id, RoleName: 'readonly' },
    ]);
    expect(h.audit.events).toHaveLength(1);
    expect(h.audit.events[0]).toMatchObject({
      staxEventType: 'accounts.UpdateAccountTypeAccess',
      outcome: 'SUCCESS',
    });
    const taskId = (response.body as { Detail: { TaskId: string } }).Detail.TaskId;
    const task = await invoke(readTask, { pathParameters: { task_id: taskId }, caller: READONLY });
    expect(task.status).toBe(200);
    expect((task.body as { Logs: string[] }).Logs).toHaveLength(4);

    const revoked = await invoke(access, {
      method: 'PUT',
      body: {
        RemoveRoles: [{ AccountTypeId: dev.id, GroupId: devops.id, RoleName: 'admin' }],
        AddRoles: [{ AccountTypeId: dev.id, GroupId: devops.id, RoleName: 'developer' }],
      },
      caller: ADMIN,
    });
    expect(revoked.status).toBe(200);
    expect(await rolesOf(dev.id)).toEqual([
      { GroupId: auditors.id, RoleName: 'readonly' },
      { GroupId: devops.id, RoleName: 'developer' },
    ]);
  });

  it('grants access to a SCIM group', async () => {
    const type = await newType();
    const groupId = newId();
    await h.table.doc.send(
      new PutCommand({
        TableName: h.table.tableName,
        Item: groupItem({
          id: groupId,
          name: uniqueName('Scim'),
          groupType: 'SCIM',
          status: 'ACTIVE',
          version: 1,
        }),
      }),
    );
    const response = await invoke(access, {
      method: 'PUT',
      body: { AddRoles: [{ AccountTypeId: type.id, GroupId: groupId, RoleName: 'readonly' }] },
      caller: ADMIN,
    });
    expect(response.status).toBe(200);
    expect(await rolesOf(type.id)).toEqual([{ GroupId: groupId, RoleName: 'readonly' }]);
  });

  it('is all or nothing: one unknown group refuses every grant (404)', async () => {
    const type = await newType();
    const group = await newGroup();
    await expectRefused(
      {
        AddRoles: [
          { AccountTypeId: type.id, GroupId: group.id, RoleName: 'admin' },
          { AccountTypeId: type.id, GroupId: UNKNOWN_ID, RoleName: 'admin' },
        ],
      },
      404,
      `Group "${UNKNOWN_ID}" not found`,
    );
  });

  it('refuses unknown names and ids (404), disagreeing id and name, a pair both added and removed (400)', async () => {
    const type = await newType();
    const other = await newType();
    const group = await newGroup();
    await expectRefused(
      { AddRoles: [{ AccountTypeName: 'No such type', GroupId: group.id, RoleName: 'admin' }] },
      404,
      'Account type "No such type" not found',
    );
    await expectRefused(
      { AddRoles: [{ AccountTypeId: type.id, GroupName: 'No such group', RoleName: 'admin' }] },
      404,
      'Group "No such group" not found',
    );
    await expectRefused(
      { AddRoles: [{ AccountTypeId: UNKNOWN_ID, GroupId: group.id, RoleName: 'admin' }] },
      404,
      `Account type "${UNKNOWN_ID}" not found`,
    );
    await expectRefused(
      {
        AddRoles: [
          { AccountTypeId: type.id, AccountTypeName: other.name, GroupId: group.id, RoleName: 'admin' },
        ],
      },
      400,
      `Body.AddRoles[0].AccountTypeName: names account type ${other.id}, but AccountTypeId is ${type.id}: give one of them, or two that agree`,
    );
    await expectRefused(
      {
        AddRoles: [{ AccountTypeId: type.id, GroupId: group.id, RoleName: 'admin' }],
        RemoveRoles: [{ AccountTypeName: type.name, GroupName: group.name, RoleName: 'admin' }],
      },
      400,
      /^Body\.RemoveRoles\[0\]: the admin role of group .* is both added and removed: list it once$/,
    );
  });

  test.each([
    [{}, 'Body: AddRoles or RemoveRoles must list at least one access map'],
    [{ AddRoles: [], RemoveRoles: [] }, 'Body: AddRoles or RemoveRoles must list at least one access map'],
    [
      { AddRoles: [{ AccountTypeId: UNKNOWN_ID, GroupId: UNKNOWN_ID, RoleName: 'owner' }] },
      'Body.AddRoles[0].RoleName: must be one of "admin", "developer", "readonly"',
    ],
    [{ AddRoles: [{ AccountTypeId: UNKNOWN_ID, RoleName: 'admin' }] }, /^Body\.AddRoles\[0\]/],
    [
      { AddRoles: [{ AccountTypeId: UNKNOWN_ID, GroupId: UNKNOWN_ID, RoleName: 'admin', Extra: 1 }] },
      'Body.AddRoles[0].Extra: is not a known field: remove it or check the spelling',
    ],
    [{ Roles: [] }, 'Body.Roles: is not a known field: remove it or check the spelling'],
    [
      { AddRoles: [{ AccountTypeName: 'x'.repeat(3000), GroupId: UNKNOWN_ID, RoleName: 'admin' }] },
      'Body.AddRoles[0].AccountTypeName: must be at most 64 characters (no name is longer)',
    ],
    [
      { RemoveRoles: [{ AccountTypeId: UNKNOWN_ID, GroupName: 'é'.repeat(1500), RoleName: 'admin' }] },
      'Body.RemoveRoles[0].GroupName: must be at most 64 characters (no name is longer)',
    ],
    [
      { AddRoles: [{ AccountTypeId: 'abc', GroupId: UNKNOWN_ID, RoleName: 'admin' }] },
      /^Body\.AddRoles\[0\]\.AccountTypeId: must match pattern/,
    ],
  ])('refuses the body %j (400)', async (body, error) => {
    await expectRefused(body, 400, error);
  });

  it('refuses more access maps than one transaction can hold (400)', async () => {
    const entry = { AccountTypeId: UNKNOWN_ID, GroupId: UNKNOWN_ID, RoleName: 'admin' };
    await expectRefused(
      {
        AddRoles: Array.from({ length: 60 }, () => entry),
        RemoveRoles: Array.from({ length: 41 }, () => entry),
      },
      400,
      'Body: lists 101 access maps; one all-or-nothing change takes at most 100: split it into smaller requests',
    );
  });
});
