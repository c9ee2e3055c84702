import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';
import { type AccountRef, accountTypeItem } from '@/lambdas/accounts/account-items';
import { entitlementsOf } from '@/lambdas/aws/entitlements';
import { accountMove } from '@/lambdas/deployments/account-fan-out';
import { DynamoDeploymentStore } from '@/lambdas/deployments/deployment-store';
import { runDeployment } from '@/lambdas/deployments/run-deployment';
import { newId } from '@/lambdas/shared/ids';
import { ENTITY, entityKey } from '@/lambdas/shared/keys';
import {
  createFixture,
  type Fixture,
  memoryAccounts,
  putAccountType,
  putGroup,
  putMember,
} from '@/test/lambdas/permission-sets/support';
import { putAccount } from '@/test/lambdas/tasks/harness';
import { ADMIN, invoke } from '@/test/support/api-event';

/**
 * Review L2: two assignments of one permission set on one account type share one role per
 * account; deleting one keeps the role the other needs. Review M3: no permission-set role is
 * ever deployed to the management, security or logging account.
 */

let f: Fixture;
const { iam, accounts } = memoryAccounts();

beforeAll(async () => {
  f = await createFixture();
});
afterAll(() => f.h.drop());
beforeEach(() => f.queue.take());

const store = () => new DynamoDeploymentStore(f.h.deps.db);

/** Runs what the API enqueued, one message at a time (as one account's FIFO group does). */
async function runQueued() {
  const outcomes = [];
  for (const message of f.queue.take()) {
    outcomes.push({
      message,
      outcome: await runDeployment({ store: store(), iam, clock: f.h.clock }, message, false),
    });
  }
  return outcomes;
}

async function newPermissionSet(): Promise<{ Id: string; Name: string }> {
  const created = await invoke(f.handlers.create, {
    method: 'POST',
    caller: ADMIN,
    body: { Name: `Shared-${Math.random().toString(36).slice(2, 8)}` },
  });
  expect(created.status).toBe(201);
  return created.body as { Id: string; Name: string };
}

async function assign(setId: string, accountTypeId: string, groupId: string): Promise<string> {
  const response = await invoke(f.handlers.createAssignments, {
    method: 'POST',
    caller: ADMIN,
    pathParameters: { permission_set_id: setId },
    body: [{ AccountTypeId: accountTypeId, GroupId: groupId }],
  });
  expect(response.status).toBe(200);
  return (response.body as { Id: string }[])[0]?.Id ?? '';
}

async function unassign(setId: string, assignmentId: string): Promise<void> {
  const response = await invoke(f.handlers.deleteAssignment, {
    method: 'DELETE',
    caller: ADMIN,
    pathParameters: { permission_set_id: setId, assignment_id: assignmentId },
  });
  expect(response.status).toBeLessThan(300);
}

async function labelAccount(accountId: string, role: string): Promise<void> {
  await f.h.table.doc.send(
    new UpdateCommand({
      TableName: f.h.table.tableName,
      Key: entityKey(ENTITY.account, accountId),
      UpdateExpression: 'SET AccountRole = :role',
      ExpressionAttributeValues: { ':role': role },
    }),
  );
}

describe('deleting one of two assignments of a permission set on one account type (review L2)', () => {
  it('keeps the role the other assignment needs, and removes it with the last one', async () => {
    const set = await newPermissionSet();
    const type = await putAccountType(f.h, ['ACTIVE']);
    const awsAccountId = type.accounts[0]?.AwsAccountId ?? '';
    const [first, second] = [await putMember(f.h), await putMember(f.h)];
    const a1 = await assign(set.Id, type.id, await putGroup(f.h, [first]));
    const a2 = await assign(set.Id, type.id, await putGroup(f.h, [second]));
    expect((await runQueued()).map(({ outcome }) => outcome.result)).toEqual(['complete', 'complete']);
    expect(accounts.get(awsAccountId)?.roles.has(set.Name)).toBe(true);

    await unassign(set.Id, a1);
    const [removal] = await runQueued();
    expect(removal?.message).toMatchObject({ assignmentId: a1, action: 'delete' });
    expect(removal?.outcome).toEqual({ result: 'complete', changes: [] });
    expect(accounts.get(awsAccountId)?.roles.has(set.Name)).toBe(true);
    expect(await store().getDeployment(set.Id, a1, awsAccountId)).toMatchObject({
      Status: 'DELETE_COMPLETE',
      StatusReason: `the role stays: assignment ${a2} of the same permission set still needs it in this account`,
    });
    const now = f.h.clock.now();
    expect((await entitlementsOf(f.h.deps.db, second, now)).map((e) => [e.awsAccountId, e.roleName])).toEqual(
      [[awsAccountId, set.Name]],
    );
    expect(await entitlementsOf(f.h.deps.db, first, now)).toEqual([]);

    await unassign(set.Id, a2);
    const [last] = await runQueued();
    expect(last?.message).toMatchObject({ assignmentId: a2, action: 'delete' });
    expect(last?.outcome.result).toBe('complete');
    expect(accounts.get(awsAccountId)?.roles.has(set.Name)).toBe(false);
    expect(await store().getDeployment(set.Id, a2, awsAccountId)).not.toHaveProperty('StatusReason');
  });
});

describe('the management, security and logging accounts (review M3)', () => {
  it('sends no deployment to one its account type’s summary marks as such', async () => {
    const set = await newPermissionSet();
    const [member, security] = [await putAccount(f.h), await putAccount(f.h)];
    await labelAccount(security.id, 'SECURITY');
    const typeId = newId();
    const ref = (account: { id: string; awsAccountId: string }, role: AccountRef['AccountRole']) => ({
      AccountId: account.id,
      AwsAccountId: account.awsAccountId,
      Name: `account-${account.awsAccountId}`,
      Status: 'ACTIVE' as const,
      AccountRole: role,
    });
    await f.h.table.doc.send(
      new PutCommand({
        TableName: f.h.table.tableName,
        Item: accountTypeItem({
          id: typeId,
          name: `type-${typeId.slice(0, 8)}`,
          version: 1,
          roles: [],
          accounts: [ref(member, 'MEMBER'), ref(security, 'SECURITY')],
        }),
      }),
    );
    await assign(set.Id, typeId, await putGroup(f.h));
    const sent = await runQueued();
    expect(sent.map(({ message }) => message.awsAccountId)).toEqual([member.awsAccountId]);
  });

  it('refuses, permanently and with the reason, a deploy to one an older summary does not mark', async () => {
    const set = await newPermissionSet();
    const type = await putAccountType(f.h, ['ACTIVE', 'ACTIVE']);
    const [member, logging] = type.accounts;
    await labelAccount(logging?.AccountId ?? '', 'LOGGING');
    const assignmentId = await assign(set.Id, type.id, await putGroup(f.h));
    const outcomes = new Map(
      (await runQueued()).map(({ message, outcome }) => [message.awsAccountId, outcome] as const),
    );
    const reason = `PermanentDeploymentError: AWS account ${logging?.AwsAccountId} is the organization's LOGGING account, which staxid depends on: no permission-set role is deployed there`;
    expect(outcomes.get(logging?.AwsAccountId ?? '')).toEqual({ result: 'failed', reason });
    expect(outcomes.get(member?.AwsAccountId ?? '')?.result).toBe('complete');
    expect(accounts.get(logging?.AwsAccountId ?? '')?.roles.has(set.Name) ?? false).toBe(false);
    expect(await store().getDeployment(set.Id, assignmentId, logging?.AwsAccountId ?? '')).toMatchObject({
      Status: 'DEPLOYMENT_FAILED',
      StatusReason: reason,
    });
  });

  it('gives such an account no account type in the fan-out, so a relabelled one loses its roles', () => {
    const image = (role: string): Record<string, AttributeValue> => ({
      PK: { S: 'ACCOUNT#acc-9' },
      SK: { S: 'ACCOUNT' },
      Id: { S: 'acc-9' },
      AwsAccountId: { S: '999999999999' },
      Status: { S: 'ACTIVE' },
      AccountType: { S: 'at-1' },
      AccountRole: { S: role },
    });
    const record = (before: Record<string, AttributeValue>, after: Record<string, AttributeValue>) =>
      ({
        eventName: 'MODIFY',
        dynamodb: {
          Keys: { PK: { S: 'ACCOUNT#acc-9' }, SK: { S: 'ACCOUNT' } },
          OldImage: before,
          NewImage: after,
          SequenceNumber: '7',
        },
      }) satisfies DynamoDBRecord;
    expect(accountMove(record(image('MEMBER'), image('SECURITY')))).toEqual({
      accountId: 'acc-9',
      awsAccountId: '999999999999',
      left: 'at-1',
      sequenceNumber: '7',
    });
    expect(accountMove(record(image('MANAGEMENT'), image('MANAGEMENT')))).toBeUndefined();
  });
});
