import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { createAccountTypeHandler } from '@/lambdas/accounts/create-account-type';
import { readAccountTypeHandler } from '@/lambdas/accounts/read-account-type';
import { updateAccountTypeAccessHandler } from '@/lambdas/accounts/update-account-type-access';
import { createGroupHandler } from '@/lambdas/groups/create-group';
import { deleteGroupHandler } from '@/lambdas/groups/delete-group';
import { groupItem, membershipItem } from '@/lambdas/groups/group-items';
import { readGroupHandler } from '@/lambdas/groups/read-group';
import { readGroupsHandler } from '@/lambdas/groups/read-groups';
import { updateGroupHandler } from '@/lambdas/groups/update-group';
import { updateGroupMembersHandler } from '@/lambdas/groups/update-group-members';
import { newId } from '@/lambdas/shared/ids';
import { uniqueKey } from '@/lambdas/shared/keys';
import { schemaErrors } from '@/lambdas/shared/spec-schemas';
import { readTaskHandler } from '@/lambdas/tasks/read-task';
import {
  createHarness,
  type Harness,
  ORGANISATION_ID,
  putUser,
  UNKNOWN_ID,
} from '@/test/lambdas/tasks/harness';
import { ADMIN, API_ADMIN, invoke, READONLY } from '@/test/support/api-event';

let h: Harness;
const deps = () => h.deps;
const create = createGroupHandler(deps);
const readGroups = readGroupsHandler(deps);
const readGroup = readGroupHandler(deps);
const update = updateGroupHandler(deps);
const remove = deleteGroupHandler(deps);
const members = updateGroupMembersHandler(deps);
const readTask = readTaskHandler(deps);
const createAccountType = createAccountTypeHandler(deps);
const readAccountType = readAccountTypeHandler(deps);
const access = updateAccountTypeAccessHandler(deps);

beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.drop());
beforeEach(() => {
  h.audit.events.length = 0;
  h.audit.failWith = undefined;
});

let counter = 0;
function uniqueName(prefix = 'Group'): string {
  counter += 1;
  return `${prefix} ${counter} ${newId().slice(0, 6)}`;
}

async function createGroup(name = uniqueName()): Promise<string> {
  const response = await invoke(create, { method: 'POST', body: { Name: name }, caller: ADMIN });
  expect(response.status).toBe(200);
  return (response.body as { GroupId: string }).GroupId;
}

async function putScimGroup(): Promise<string> {
  const id = newId();
  const now = new Date().toISOString();
  await h.table.doc.send(
    new PutCommand({
      TableName: h.table.tableName,
      Item: groupItem({
        id,
        name: uniqueName('Scim'),
        groupType: 'SCIM',
        status: 'ACTIVE',
        createdTs: now,
        modifiedTs: now,
        version: 1,
      }),
    }),
  );
  return id;
}

async function groupMembers(groupId: string): Promise<string[]> {
  const response = await invoke(readGroup, { pathParameters: { group_id: groupId }, caller: READONLY });
  expect(response.status).toBe(200);
  return (response.body as { Groups: { Users: string[] }[] }).Groups[0]?.Users ?? [];
}

/** Runs a request that must be refused, and shows that it wrote nothing and audited nothing. */
async function expectRefused(
  run: () => Promise<{ status: number; body: unknown }>,
  status: number,
  error: string | RegExp,
): Promise<void> {
  const before = await h.snapshot();
  const events = h.audit.events.length;
  const response = await run();
  expect(response.status).toBe(status);
  expect(schemaErrors('Error', response.body)).toEqual([]);
  const message = (response.body as { Error: string }).Error;
  if (typeof error === 'string') expect(message).toBe(error);
  else expect(message).toMatch(error);
  expect(await h.snapshot()).toEqual(before);
  expect(h.audit.events.length).toBe(events);
}

describe('teams.CreateGroup', () => {
  it('creates a LOCAL group, records a task and one audit event', async () => {
    const name = uniqueName();
    const response = await invoke(create, {
      method: 'POST',
      path: '/20190206/groups',
      body: { Name: name },
      caller: ADMIN,
    });
    expect(response.status).toBe(200);
    expect(schemaErrors('teams.CreateGroupEvent', response.body)).toEqual([]);
    const body = response.body as { GroupId: string; Detail: { TaskId: string; OperationStatus: string } };
    expect(body.Detail.OperationStatus).toBe('SUCCEEDED');

    const read = await invoke(readGroup, { pathParameters: { group_id: body.GroupId }, caller: READONLY });
    expect(read.status).toBe(200);
    expect(schemaErrors('teams.ReadGroupsResponse', read.body)).toEqual([]);
    expect(read.body).toEqual({
      Groups: [
        {
          Id: body.GroupId,
          Name: name,
          GroupType: 'LOCAL',
          Status: 'ACTIVE',
          CreatedBy: ADMIN.id,
          CreatedTS: expect.any(String),
          ModifiedTS: expect.any(String),
          OrganisationId: ORGANISATION_ID,
          Users: [],
        },
      ],
    });

    const task = await invoke(readTask, {
      pathParameters: { task_id: body.Detail.TaskId },
      caller: READONLY,
    });
    expect(task.status).toBe(200);
    expect(schemaErrors('tasks.ReadTask', task.body)).toEqual([]);
    expect(task.body).toEqual({ Status: 'SUCCEEDED', Logs: [`Created group "${name}" (${body.GroupId})`] });

    expect(h.audit.events).toHaveLength(1);
    expect(h.audit.events[0]).toMatchObject({
      staxEventType: 'teams.CreateGroup',
      outcome: 'SUCCESS',
      actor: { type: 'user', id: ADMIN.id, role: ADMIN.role },
      target: [{ type: 'group', id: body.GroupId, name }],
      detail: { taskId: body.Detail.TaskId },
    });
  });

  it('refuses a name already taken, whatever its case (409), writing nothing', async () => {
    const name = uniqueName();
    await createGroup(name);
    await expectRefused(
      () => invoke(create, { method: 'POST', body: { Name: name.toUpperCase() }, caller: ADMIN }),
      409,
      `A group named "${name.toUpperCase()}" already exists: choose another name`,
    );
  });

  test.each([
    [{}, 'Body.Name: is required'],
    [{ Name: 7 }, 'Body.Name: must be string'],
    [{ Name: 'x'.repeat(65) }, 'Body.Name: must NOT have more than 64 characters'],
    [{ Name: 'ab' }, 'Body.Name: must be 3 to 64 characters long'],
    [{ Name: ' padded' }, 'Body.Name: must not start or end with a blank'],
    [{ Name: 'tab\there' }, 'Body.Name: must not contain control characters'],
    [
      { Name: 'Valid name', Colour: 'blue' },
      'Body.Colour: is not a known field: remove it or check the spelling',
    ],
    ['{"Name": ', 'Body: is not valid JSON: check quotes, commas and brackets'],
    [undefined, 'Body: is required: send a JSON object'],
  ])('refuses the body %j (400), writing nothing', async (body, error) => {
    await expectRefused(() => invoke(create, { method: 'POST', body, caller: ADMIN }), 400, error);
  });

  it('refuses a body over 64 KiB', async () => {
    await expectRefused(
      () => invoke(create, { method: 'POST', body: { Name: 'x'.repeat(70 * 1024) }, caller: ADMIN }),
      400,
      /^Body: is larger than 64 KiB/,
    );
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
    expect(h.audit.events).toEqual([]);
  });

  it('of two parallel creates with the same name, exactly one succeeds', async () => {
    const name = uniqueName();
    const responses = await Promise.all(
      [name, name.toLowerCase()].map((Name) =>
        invoke(create, { method: 'POST', body: { Name }, caller: ADMIN }),
      ),
    );
    expect(responses.map((response) => response.status).sort()).toEqual([200, 409]);
    const all = await invoke(readGroups, { caller: READONLY });
    const named = (all.body as { Groups: { Name: string }[] }).Groups.filter(
      (group) => group.Name.toLowerCase() === name.toLowerCase(),
    );
    expect(named).toHaveLength(1);
  });
});

describe('teams.ReadGroups', () => {
  it('lists every group with its members, by name; id_filter selects', async () => {
    const first = await createGroup(uniqueName('AAA'));
    const second = await createGroup(uniqueName('BBB'));
    const user = await putUser(h);
    const added = await invoke(members, {
      method: 'PUT',
      body: { AddMembers: [{ GroupId: first, UserId: user }] },
      caller: ADMIN,
    });
    expect(added.status).toBe(200);

    const all = await invoke(readGroups, { caller: READONLY });
    expect(all.status).toBe(200);
    expect(schemaErrors('teams.ReadGroupsResponse', all.body)).toEqual([]);
    const groups = (all.body as { Groups: { Id: string; Name: string; Users: string[] }[] }).Groups;
    const names = groups.map((group) => group.Name.toLowerCase());
    expect(names).toEqual([...names].sort());
    expect(groups.find((group) => group.Id === first)?.Users).toEqual([user]);

    const filtered = await invoke(readGroups, {
      query: { id_filter: `${second}, ${UNKNOWN_ID}` },
      caller: READONLY,
    });
    expect(filtered.status).toBe(200);
    expect((filtered.body as { Groups: { Id: string }[] }).Groups.map((group) => group.Id)).toEqual([second]);
  });

  test.each([
    [
      { id_filter: 'not-a-uuid' },
      'id_filter: "not-a-uuid" is not a UUID: list UUIDs, e.g. "ec5eaa8f-da06-4935-b5ce-05bd957c8bdc"',
    ],
    [{ id_filter: ' , ' }, 'id_filter: must list at least one value, comma delimited'],
    [{ limit: '3' }, 'limit: is not a query parameter of this operation (it takes id_filter)'],
  ])('refuses the query %j (400)', async (query, error) => {
    const response = await invoke(readGroups, { query, caller: READONLY });
    expect(response).toMatchObject({ status: 400, body: { Error: error } });
  });
});

describe('teams.ReadGroup', () => {
  it('answers 404 for an unknown group and 400 for an id of the wrong shape', async () => {
    expect(
      await invoke(readGroup, { pathParameters: { group_id: UNKNOWN_ID }, caller: READONLY }),
    ).toMatchObject({
      status: 404,
      body: { Error: `Group "${UNKNOWN_ID}" not found` },
    });
    expect(await invoke(readGroup, { pathParameters: { group_id: '12' }, caller: READONLY })).toMatchObject({
      status: 400,
      body: { Error: 'group_id: must be a UUID, e.g. "ec5eaa8f-da06-4935-b5ce-05bd957c8bdc"' },
    });
  });
});

describe('teams.UpdateGroup', () => {
  it('renames a group and moves its name guard: the old name is free again', async () => {
    const oldName = uniqueName();
    const id = await createGroup(oldName);
    const newName = uniqueName();
    const response = await invoke(update, {
      method: 'PUT',
      pathParameters: { group_id: id },
      body: { Name: newName },
      caller: ADMIN,
    });
    expect(response.status).toBe(200);
    expect(schemaErrors('teams.UpdateGroupEvent', response.body)).toEqual([]);
    const read = await invoke(readGroup, { pathParameters: { group_id: id }, caller: READONLY });
    expect((read.body as { Groups: { Name: string }[] }).Groups[0]?.Name).toBe(newName);
    const oldGuard = await h.table.doc.send(
      new GetCommand({ TableName: h.table.tableName, Key: uniqueKey('GROUPNAME', oldName) }),
    );
    expect(oldGuard.Item).toBeUndefined();
    await createGroup(oldName);
    expect(h.audit.events.map((event) => event.staxEventType)).toEqual([
      'teams.CreateGroup',
      'teams.UpdateGroup',
      'teams.CreateGroup',
    ]);
  });

  it('changes only the case of a name without a conflict', async () => {
    const name = uniqueName();
    const id = await createGroup(name);
    const response = await invoke(update, {
      method: 'PUT',
      pathParameters: { group_id: id },
      body: { Name: name.toUpperCase() },
      caller: ADMIN,
    });
    expect(response.status).toBe(200);
    expect(await groupMembers(id)).toEqual([]);
  });

  it('refuses a name another group has (409), an unknown group (404), a SCIM group (400)', async () => {
    const taken = uniqueName();
    await createGroup(taken);
    const id = await createGroup();
    await expectRefused(
      () =>
        invoke(update, {
          method: 'PUT',
          pathParameters: { group_id: id },
          body: { Name: taken },
          caller: ADMIN,
        }),
      409,
      `A group named "${taken}" already exists: choose another name`,
    );
    await expectRefused(
      () =>
        invoke(update, {
          method: 'PUT',
          pathParameters: { group_id: UNKNOWN_ID },
          body: { Name: uniqueName() },
          caller: ADMIN,
        }),
      404,
      `Group "${UNKNOWN_ID}" not found`,
    );
    const scim = await putScimGroup();
    await expectRefused(
      () =>
        invoke(update, {
          method: 'PUT',
          pathParameters: { group_id: scim },
          body: { Name: uniqueName() },
          caller: ADMIN,
        }),
      400,
      /is managed by your identity provider through SCIM and cannot be renamed through this API/,
    );
    await expectRefused(
      () =>
        invoke(update, {
          method: 'PUT',
          pathParameters: { group_id: id },
          body: { Name: 'x' },
          caller: ADMIN,
        }),
      400,
      'Body.Name: must NOT have fewer than 2 characters',
    );
  });

  it('two parallel renames of one group leave exactly one name guard, for the final name', async () => {
    const id = await createGroup();
    const names = [uniqueName(), uniqueName()];
    const responses = await Promise.all(
      names.map((Name) =>
        invoke(update, { method: 'PUT', pathParameters: { group_id: id }, body: { Name }, caller: ADMIN }),
      ),
    );
    expect(responses.map((response) => response.status)).toEqual([200, 200]);
    const read = await invoke(readGroup, { pathParameters: { group_id: id }, caller: READONLY });
    const finalName = (read.body as { Groups: { Name: string }[] }).Groups[0]?.Name ?? '';
    expect(names).toContain(finalName);
    const guards = (await h.snapshot()).filter(
      (item) => String(item.PK).startsWith('UNIQUE#GROUPNAME#') && item.Id === id,
    );
    expect(guards.map((guard) => guard.PK)).toEqual([uniqueKey('GROUPNAME', finalName).PK]);
  });
});

describe('teams.DeleteGroup', () => {
  it('deletes an empty group, its name guard and the access granted to it', async () => {
    const name = uniqueName();
    const id = await createGroup(name);
    const typeResponse = await invoke(createAccountType, {
      method: 'POST',
      body: { Name: uniqueName('Type') },
      caller: ADMIN,
    });
    const typeId = (typeResponse.body as { Detail: { AccountType: { Id: string } } }).Detail.AccountType.Id;
    const granted = await invoke(access, {
      method: 'PUT',
      body: { AddRoles: [{ AccountTypeId: typeId, GroupId: id, RoleName: 'developer' }] },
      caller: ADMIN,
    });
    expect(granted.status).toBe(200);
    h.audit.events.length = 0;

    const response = await invoke(remove, {
      method: 'DELETE',
      pathParameters: { group_id: id },
      caller: ADMIN,
    });
    expect(response.status).toBe(200);
    expect(schemaErrors('teams.DeleteGroupEvent', response.body)).toEqual([]);
    expect((await invoke(readGroup, { pathParameters: { group_id: id }, caller: READONLY })).status).toBe(
      404,
    );
    const type = await invoke(readAccountType, {
      pathParameters: { account_type_id: typeId },
      caller: READONLY,
    });
    expect((type.body as { AccountTypes: { Roles: unknown[] }[] }).AccountTypes[0]?.Roles).toEqual([]);
    expect(h.audit.events).toHaveLength(1);
    expect(h.audit.events[0]?.target).toEqual([
      { type: 'group', id, name },
      { type: 'account-type', id: typeId, name: expect.any(String) },
    ]);
    await createGroup(name);
  });

  it('refuses a group that still has members (400), an unknown group (404), a SCIM group (400)', async () => {
    const id = await createGroup();
    const user = await putUser(h);
    await invoke(members, {
      method: 'PUT',
      body: { AddMembers: [{ GroupId: id, UserId: user }] },
      caller: ADMIN,
    });
    await expectRefused(
      () => invoke(remove, { method: 'DELETE', pathParameters: { group_id: id }, caller: ADMIN }),
      400,
      /still has 1 member\(s\): remove them with UpdateGroupMembers/,
    );
    await expectRefused(
      () => invoke(remove, { method: 'DELETE', pathParameters: { group_id: UNKNOWN_ID }, caller: ADMIN }),
      404,
      `Group "${UNKNOWN_ID}" not found`,
    );
    const scim = await putScimGroup();
    await expectRefused(
      () => invoke(remove, { method: 'DELETE', pathParameters: { group_id: scim }, caller: ADMIN }),
      400,
      /managed by your identity provider through SCIM and cannot be deleted/,
    );
  });

  it('a delete racing a member add never leaves a member of a deleted group', async () => {
    for (let round = 0; round < 5; round++) {
      const id = await createGroup();
      const user = await putUser(h);
      const [deleted, added] = await Promise.all([
        invoke(remove, { method: 'DELETE', pathParameters: { group_id: id }, caller: ADMIN }),
        invoke(members, {
          method: 'PUT',
          body: { AddMembers: [{ GroupId: id, UserId: user }] },
          caller: ADMIN,
        }),
      ]);
      const statuses = [deleted.status, added.status].sort();
      // Either the add came first (the delete then finds a member: 400), or the delete did (404 for the add).
      expect([
        [200, 400],
        [200, 404],
      ]).toContainEqual(statuses);
      const orphans = (await h.snapshot()).filter((item) => item.PK === `GROUP#${id}` && item.SK !== 'GROUP');
      if (deleted.status === 200) expect(orphans).toEqual([]);
      else expect(orphans).toHaveLength(1);
    }
  });
});

describe('teams.UpdateGroupMembers', () => {
  it('adds and removes members across groups in one change, and its task reports the users', async () => {
    const [first, second] = [await createGroup(), await createGroup()];
    const [alice, bob, carol] = [await putUser(h), await putUser(h, { status: 'INVITED' }), await putUser(h)];
    await invoke(members, {
      method: 'PUT',
      body: { AddMembers: [{ GroupId: first, UserId: carol }] },
      caller: ADMIN,
    });
    h.audit.events.length = 0;

    const response = await invoke(members, {
      method: 'PUT',
      path: '/20190206/groups/members',
      body: {
        AddMembers: [
          { GroupId: first, UserId: alice },
          { GroupId: second, UserId: bob },
          { GroupId: first, UserId: alice },
        ],
        RemoveMembers: [{ GroupId: first, UserId: carol }],
      },
      caller: API_ADMIN,
    });
    expect(response.status).toBe(200);
    expect(schemaErrors('teams.UpdateGroupMembersEvent', response.body)).toEqual([]);
    expect(await groupMembers(first)).toEqual([alice]);
    expect(await groupMembers(second)).toEqual([bob]);

    const taskId = (response.body as { Detail: { TaskId: string } }).Detail.TaskId;
    const task = await invoke(readTask, { pathParameters: { task_id: taskId }, caller: READONLY });
    expect(schemaErrors('tasks.ReadTask', task.body)).toEqual([]);
    expect((task.body as { Users: string[] }).Users.sort()).toEqual([alice, bob, carol].sort());
    expect(h.audit.events).toHaveLength(1);
    expect(h.audit.events[0]).toMatchObject({
      staxEventType: 'teams.UpdateGroupMembers',
      actor: { type: 'token', id: API_ADMIN.id },
    });
  });

  it('is all or nothing: one unknown user refuses the whole change (404), naming it', async () => {
    const id = await createGroup();
    const alice = await putUser(h);
    await expectRefused(
      () =>
        invoke(members, {
          method: 'PUT',
          body: {
            AddMembers: [
              { GroupId: id, UserId: alice },
              { GroupId: id, UserId: UNKNOWN_ID },
            ],
          },
          caller: ADMIN,
        }),
      404,
      `User "${UNKNOWN_ID}" not found`,
    );
  });

  it('refuses a DELETED user (400), an unknown group (404), a SCIM group (400)', async () => {
    const id = await createGroup();
    const gone = await putUser(h, { status: 'DELETED' });
    const alice = await putUser(h);
    await expectRefused(
      () =>
        invoke(members, {
          method: 'PUT',
          body: { AddMembers: [{ GroupId: id, UserId: gone }] },
          caller: ADMIN,
        }),
      400,
      `User "${gone}" is DELETED and cannot join a group`,
    );
    await expectRefused(
      () =>
        invoke(members, {
          method: 'PUT',
          body: { AddMembers: [{ GroupId: UNKNOWN_ID, UserId: alice }] },
          caller: ADMIN,
        }),
      404,
      `Group "${UNKNOWN_ID}" not found`,
    );
    const scim = await putScimGroup();
    await expectRefused(
      () =>
        invoke(members, {
          method: 'PUT',
          body: { AddMembers: [{ GroupId: scim, UserId: alice }] },
          caller: ADMIN,
        }),
      400,
      /managed by your identity provider through SCIM and cannot be given members through this API/,
    );
  });

  test.each([
    [{}, 'Body: AddMembers or RemoveMembers must list at least one {UserId, GroupId}'],
    [{ AddMembers: [] }, 'Body: AddMembers or RemoveMembers must list at least one {UserId, GroupId}'],
    [{ AddMembers: [{ GroupId: UNKNOWN_ID }] }, 'Body.AddMembers[0].UserId: is required'],
    [
      { AddMembers: [{ GroupId: UNKNOWN_ID, UserId: 'nope' }] },
      /^Body\.AddMembers\[0\]\.UserId: must match pattern/,
    ],
    [
      { AddMembers: [{ GroupId: UNKNOWN_ID, UserId: UNKNOWN_ID, Role: 'x' }] },
      'Body.AddMembers[0].Role: is not a known field: remove it or check the spelling',
    ],
    [{ Members: [] }, 'Body.Members: is not a known field: remove it or check the spelling'],
    [{ AddMembers: {} }, 'Body.AddMembers: must be array'],
    [
      {
        AddMembers: [{ GroupId: UNKNOWN_ID, UserId: UNKNOWN_ID }],
        RemoveMembers: [{ GroupId: UNKNOWN_ID, UserId: UNKNOWN_ID }],
      },
      /^Body\.RemoveMembers\[0\]: user .* is both added to and removed from group/,
    ],
  ])('refuses the body %j (400), writing nothing', async (body, error) => {
    await expectRefused(() => invoke(members, { method: 'PUT', body, caller: ADMIN }), 400, error);
  });

  it("refuses a change beyond DynamoDB's 100-item transaction limit (400), naming the limit", async () => {
    const id = await createGroup();
    const AddMembers = Array.from({ length: 60 }, () => ({ GroupId: id, UserId: newId() }));
    await expectRefused(
      () => invoke(members, { method: 'PUT', body: { AddMembers }, caller: ADMIN }),
      400,
      /^Body: this change would write 122 items .* at most 100 \(DynamoDB's transaction limit\): split it into smaller requests$/,
    );
  });

  it('loses no update when two requests change the members of one group at the same time', async () => {
    const id = await createGroup();
    const users = await Promise.all(Array.from({ length: 6 }, () => putUser(h)));
    const responses = await Promise.all(
      users.map((UserId) =>
        invoke(members, { method: 'PUT', body: { AddMembers: [{ GroupId: id, UserId }] }, caller: ADMIN }),
      ),
    );
    expect(responses.map((response) => response.status)).toEqual(users.map(() => 200));
    expect(await groupMembers(id)).toEqual([...users].sort());
  });

  it('keeps members of a deleted user removable', async () => {
    const id = await createGroup();
    const user = await putUser(h);
    await h.table.doc.send(
      new PutCommand({
        TableName: h.table.tableName,
        Item: membershipItem(id, UNKNOWN_ID, new Date().toISOString()),
      }),
    );
    await invoke(members, {
      method: 'PUT',
      body: { AddMembers: [{ GroupId: id, UserId: user }] },
      caller: ADMIN,
    });
    const response = await invoke(members, {
      method: 'PUT',
      body: { RemoveMembers: [{ GroupId: id, UserId: UNKNOWN_ID }] },
      caller: ADMIN,
    });
    expect(response.status).toBe(200);
    expect(await groupMembers(id)).toEqual([user]);
  });
});
