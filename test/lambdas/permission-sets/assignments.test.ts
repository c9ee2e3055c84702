import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { readMyRolesHandler } from '@/lambdas/aws/read-my-roles';
import { deploymentKey } from '@/lambdas/permission-sets/items';
import {
  createFixture,
  type Fixture,
  putAccountType,
  putGroup,
  putMember,
  specErrors,
} from '@/test/lambdas/permission-sets/support';
import { ADMIN, API_ADMIN, invoke, READONLY, USER } from '@/test/support/api-event';

let f: Fixture;

beforeAll(async () => {
  f = await createFixture();
});
afterAll(() => f.h.drop());

interface Assignment {
  Id: string;
  Status: string;
}

async function newPermissionSet(name: string, body: Record<string, unknown> = {}): Promise<string> {
  const response = await invoke(f.handlers.create, {
    method: 'POST',
    caller: ADMIN,
    body: { Name: name, ...body },
  });
  expect(response.status).toBe(201);
  return (response.body as { Id: string }).Id;
}

function assign(permissionSetId: string, body: unknown, caller = ADMIN) {
  return invoke(f.handlers.createAssignments, {
    method: 'POST',
    caller,
    pathParameters: { permission_set_id: permissionSetId },
    body,
  });
}

function deploymentsIn(snapshot: Record<string, unknown>[], permissionSetId: string) {
  return snapshot.filter(
    (item) => item.PK === `PERMSET#${permissionSetId}` && String(item.SK).startsWith('DEPLOYMENT#'),
  );
}

function errorMessage(response: { body: unknown }): string {
  expect(specErrors('ErrorResponse', response.body)).toEqual([]);
  return (response.body as { Error: { Message: string } }).Error.Message;
}

describe('CreatePermissionSetAssignments', () => {
  it('writes the assignment, one CREATE_REQUESTED deployment per ACTIVE account and one deploy message each', async () => {
    const setId = await newPermissionSet('Deployer');
    const groupId = await putGroup(f.h);
    const type = await putAccountType(f.h, ['ACTIVE', 'ACTIVE', 'SUSPENDED']);
    f.queue.take();
    const response = await assign(setId, [{ AccountTypeId: type.id, GroupId: groupId }]);
    expect(response.status).toBe(200);
    expect(specErrors('AssignmentRecords', response.body)).toEqual([]);
    const [assignment] = response.body as Assignment[];
    expect(assignment?.Status).toBe('CREATE_REQUESTED');
    const active = type.accounts.filter((account) => account.Status === 'ACTIVE');
    const deployments = deploymentsIn(await f.h.snapshot(), setId);
    expect(deployments.map((item) => item.AwsAccountId).sort()).toEqual(
      active.map((a) => a.AwsAccountId).sort(),
    );
    for (const item of deployments) {
      expect(item).toMatchObject({
        Status: 'CREATE_REQUESTED',
        AssignmentId: assignment?.Id,
        PermissionSetId: setId,
        Version: 1,
      });
    }
    const messages = f.queue.take();
    expect(messages.map((m) => [m.action, m.awsAccountId, m.assignmentId]).sort()).toEqual(
      active.map((a) => ['deploy', a.AwsAccountId, assignment?.Id]).sort(),
    );
    expect(
      f.h.audit.events.some((e) => e.staxEventType === 'permissionSets.CreatePermissionSetAssignments'),
    ).toBe(true);
  });

  it('refuses a duplicate assignment, an unknown group or account type, and not exactly one item, with 400 naming the problem', async () => {
    const setId = await newPermissionSet('Duplicated');
    const groupId = await putGroup(f.h);
    const type = await putAccountType(f.h, ['ACTIVE']);
    expect((await assign(setId, [{ AccountTypeId: type.id, GroupId: groupId }])).status).toBe(200);
    const before = await f.h.snapshot();
    const duplicate = await assign(setId, [{ AccountTypeId: type.id, GroupId: groupId }]);
    expect(duplicate.status).toBe(400);
    expect(errorMessage(duplicate)).toMatch(/^Body\[0\]: this group already has permission set "Duplicated"/);
    const unknownGroup = await assign(setId, [
      { AccountTypeId: type.id, GroupId: '0badc0de-0000-4000-8000-000000000000' },
    ]);
    expect(errorMessage(unknownGroup)).toMatch(/^Body\[0\]\.GroupId: no group/);
    const unknownType = await assign(setId, [
      { AccountTypeId: '0badc0de-0000-4000-8000-000000000000', GroupId: groupId },
    ]);
    expect(errorMessage(unknownType)).toMatch(/^Body\[0\]\.AccountTypeId: no account type/);
    const two = await assign(setId, [
      { AccountTypeId: type.id, GroupId: groupId },
      { AccountTypeId: type.id, GroupId: groupId },
    ]);
    expect(two.status).toBe(400);
    expect(errorMessage(two)).toMatch(/^Body: must be an array of exactly one/);
    expect((await assign(setId, [{ AccountTypeId: 'x', GroupId: groupId }])).status).toBe(400);
    expect((await assign(setId, [{ AccountTypeId: type.id, GroupId: groupId }], USER)).status).toBe(403);
    expect(await f.h.snapshot()).toEqual(before);
  });

  it('lets only one of two parallel identical assignments through: the other is the duplicate', async () => {
    const setId = await newPermissionSet('Raced');
    const groupId = await putGroup(f.h);
    const type = await putAccountType(f.h, ['ACTIVE']);
    const body = [{ AccountTypeId: type.id, GroupId: groupId }];
    const responses = await Promise.all([assign(setId, body), assign(setId, body)]);
    expect(responses.map((response) => response.status).sort()).toEqual([200, 400]);
    const assignments = (await f.h.snapshot()).filter(
      (item) => item.PK === `PERMSET#${setId}` && String(item.SK).startsWith('ASSIGNMENT#'),
    );
    expect(assignments).toHaveLength(1);
  });

  it('refuses a 101st assignment', async () => {
    const setId = await newPermissionSet('Crowded');
    const type = await putAccountType(f.h, []);
    const groups = await Promise.all(Array.from({ length: 101 }, () => putGroup(f.h)));
    for (const groupId of groups.slice(0, 100)) {
      expect((await assign(setId, [{ AccountTypeId: type.id, GroupId: groupId }])).status).toBe(200);
    }
    const response = await assign(setId, [{ AccountTypeId: type.id, GroupId: groups[100] }]);
    expect(response.status).toBe(400);
    expect(errorMessage(response)).toContain('already has 100 assignments');
  }, 60_000);
});

describe('the life of an assignment', () => {
  it('lists, redeploys, updates, deletes, and only then lets its permission set be deleted', async () => {
    const setId = await newPermissionSet('Lifecycle');
    const path = { permission_set_id: setId };
    const groupId = await putGroup(f.h);
    const type = await putAccountType(f.h, ['ACTIVE', 'ACTIVE']);
    const [assignment] = (await assign(setId, [{ AccountTypeId: type.id, GroupId: groupId }]))
      .body as Assignment[];
    const assignmentPath = { ...path, assignment_id: assignment?.Id ?? '' };
    f.queue.take();

    const listed = await invoke(f.handlers.listAssignments, {
      caller: READONLY,
      pathParameters: path,
      query: { group: groupId },
    });
    expect(specErrors('ListAssignmentRecords', listed.body)).toEqual([]);
    expect((listed.body as { Assignments: Assignment[] }).Assignments.map((a) => a.Id)).toEqual([
      assignment?.Id,
    ]);
    const filtered = await invoke(f.handlers.listAssignments, {
      caller: READONLY,
      pathParameters: path,
      query: { status: 'DELETE_COMPLETE' },
    });
    expect((filtered.body as { Assignments: unknown[] }).Assignments).toEqual([]);

    const blocked = await invoke(f.handlers.remove, {
      method: 'DELETE',
      caller: ADMIN,
      pathParameters: path,
    });
    expect(blocked.status).toBe(400);
    expect(errorMessage(blocked)).toContain('still has 1 assignment');

    const redeployed = await invoke(f.handlers.redeploy, {
      method: 'PUT',
      caller: ADMIN,
      pathParameters: assignmentPath,
    });
    expect(redeployed.status).toBe(200);
    expect(specErrors('AssignmentRecord', redeployed.body)).toEqual([]);
    expect(redeployed.body).toMatchObject({ Status: 'UPDATE_REQUESTED' });
    expect(f.queue.take().map((m) => m.action)).toEqual(['deploy', 'deploy']);

    const updated = await invoke(f.handlers.update, {
      method: 'PUT',
      caller: ADMIN,
      pathParameters: path,
      body: { Description: 'changed' },
    });
    expect(updated.status).toBe(200);
    expect(f.queue.take().map((m) => m.action)).toEqual(['deploy', 'deploy']);
    expect(deploymentsIn(await f.h.snapshot(), setId).map((item) => item.Status)).toEqual([
      'UPDATE_REQUESTED',
      'UPDATE_REQUESTED',
    ]);

    const deleted = await invoke(f.handlers.deleteAssignment, {
      method: 'DELETE',
      caller: ADMIN,
      pathParameters: assignmentPath,
    });
    expect(deleted.status).toBe(200);
    expect(specErrors('AssignmentRecord', deleted.body)).toEqual([]);
    expect(deleted.body).toMatchObject({ Status: 'DELETE_REQUESTED' });
    expect(f.queue.take().map((m) => m.action)).toEqual(['delete', 'delete']);
    expect(deploymentsIn(await f.h.snapshot(), setId).map((item) => item.Status)).toEqual([
      'DELETE_REQUESTED',
      'DELETE_REQUESTED',
    ]);
    const again = await invoke(f.handlers.deleteAssignment, {
      method: 'DELETE',
      caller: ADMIN,
      pathParameters: assignmentPath,
    });
    expect(again.status).toBe(400);
    expect(
      (await invoke(f.handlers.redeploy, { method: 'PUT', caller: ADMIN, pathParameters: assignmentPath }))
        .status,
    ).toBe(400);

    const removed = await invoke(f.handlers.remove, {
      method: 'DELETE',
      caller: ADMIN,
      pathParameters: path,
    });
    expect(removed.status).toBe(200);
    expect(removed.body).toMatchObject({ Status: 'DELETED' });
  });

  it('answers 404 when redeploying an unknown assignment', async () => {
    const setId = await newPermissionSet('NoSuchAssignment');
    const response = await invoke(f.handlers.redeploy, {
      method: 'PUT',
      caller: ADMIN,
      pathParameters: { permission_set_id: setId, assignment_id: '0badc0de-0000-4000-8000-000000000000' },
    });
    expect(response.status).toBe(404);
  });
});

describe('roles', () => {
  it('offers an assigned permission set to the group’s members, with its path and session, and lists deployed roles', async () => {
    const member = await putMember(f.h);
    const caller = { kind: 'user' as const, id: member, role: 'customer_user' as const };
    const setId = await newPermissionSet('Analyst', { MaxSessionDuration: 14400 });
    const groupId = await putGroup(f.h, [member]);
    const type = await putAccountType(f.h, ['ACTIVE', 'CLOSED']);
    const [assignment] = (await assign(setId, [{ AccountTypeId: type.id, GroupId: groupId }]))
      .body as Assignment[];
    const account = type.accounts[0];
    const arn = `arn:aws:iam::${account?.AwsAccountId}:role/staxid/Analyst`;

    const mine = await invoke(f.handlers.listMyRoles, { caller });
    expect(mine.status).toBe(200);
    expect(specErrors('ListRoles', mine.body)).toEqual([]);
    expect((mine.body as { Roles: unknown[] }).Roles).toEqual([
      expect.objectContaining({
        PermissionSetId: setId,
        AssignmentId: assignment?.Id,
        AWSAccountId: account?.AwsAccountId,
        RoleName: 'Analyst',
        RoleArn: arn,
      }),
    ]);
    const awsRoles = await invoke(
      readMyRolesHandler(() => ({ db: f.h.deps.db, clock: f.h.clock, partition: 'aws' })),
      { caller },
    );
    expect((awsRoles.body as { Roles: unknown[] }).Roles).toContainEqual(
      expect.objectContaining({
        RoleName: 'Analyst',
        RoleArn: arn,
        Source: 'permission-set',
        AccountId: account?.AwsAccountId,
      }),
    );
    const forToken = await invoke(f.handlers.listMyRoles, { caller: API_ADMIN });
    expect(forToken.status).toBe(403);
    expect(errorMessage(forToken)).toContain('API token');

    const before = await invoke(f.handlers.listRoles, {
      caller: READONLY,
      query: { account_id: account?.AccountId ?? '' },
    });
    expect((before.body as { Roles: unknown[] }).Roles).toEqual([]);
    await f.h.table.doc.send(
      new UpdateCommand({
        TableName: f.h.table.tableName,
        Key: deploymentKey(setId, assignment?.Id ?? '', account?.AwsAccountId ?? ''),
        UpdateExpression: 'SET #s = :done',
        ExpressionAttributeNames: { '#s': 'Status' },
        ExpressionAttributeValues: { ':done': 'DEPLOYMENT_COMPLETE' },
      }),
    );
    const after = await invoke(f.handlers.listRoles, {
      caller: READONLY,
      query: { account_id: account?.AccountId ?? '' },
    });
    expect(specErrors('ListRoles', after.body)).toEqual([]);
    expect((after.body as { Roles: unknown[] }).Roles).toEqual([
      expect.objectContaining({ PermissionSetId: setId, RoleArn: arn, Status: 'ACTIVE' }),
    ]);

    await invoke(f.handlers.deleteAssignment, {
      method: 'DELETE',
      caller: ADMIN,
      pathParameters: { permission_set_id: setId, assignment_id: assignment?.Id ?? '' },
    });
    expect(((await invoke(f.handlers.listMyRoles, { caller })).body as { Roles: unknown[] }).Roles).toEqual(
      [],
    );
  });
});
