import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';
import { accountMove, fanOutAccountMoves } from '@/lambdas/deployments/account-fan-out';
import { IamAccountIamProvider } from '@/lambdas/deployments/account-iam';
import { assignmentKey, DynamoDeploymentStore, deploymentKey } from '@/lambdas/deployments/deployment-store';
import type { DeploymentMessage, DeploymentQueue } from '@/lambdas/deployments/messages';
import { DRIFT_DETECTED, reconcile } from '@/lambdas/deployments/reconcile';
import { runDeployment } from '@/lambdas/deployments/run-deployment';
import { MemoryAuditSink } from '@/lambdas/shared/audit';
import { createDb, type Db } from '@/lambdas/shared/db';
import type { Logger } from '@/lambdas/shared/logger';
import { FakeIam } from '@/test/lambdas/deployments/fake-iam';
import { createTestTable, type TestTable } from '@/test/support/dynamodb';

const AWS_ACCOUNT = '333333333333';
const NOW = new Date('2026-11-30T12:00:00.000Z');
const clock = { now: () => NOW };
const logger: Logger = { info: () => {}, warn: () => {}, error: () => {} };
const noSleep = { sleep: async () => {} };

class MemoryQueue implements DeploymentQueue {
  readonly messages: DeploymentMessage[] = [];
  async enqueue(messages: readonly DeploymentMessage[]): Promise<void> {
    this.messages.push(...messages);
  }
}

let table: TestTable;
let db: Db;
beforeAll(async () => {
  table = await createTestTable();
  db = createDb(table.tableName, table.client);
});
afterAll(() => table.drop());

async function put(item: Record<string, unknown>) {
  await table.doc.send(new PutCommand({ TableName: table.tableName, Item: item }));
}

async function get(key: { PK: string; SK: string }) {
  return (await table.doc.send(new GetCommand({ TableName: table.tableName, Key: key }))).Item;
}

async function permissionSet(id: string, attributes: Record<string, unknown> = {}) {
  await put({
    PK: `PERMSET#${id}`,
    SK: 'PERMSET',
    GSI1PK: 'PERMSET',
    GSI1SK: `role-${id}`,
    Id: id,
    Name: `role-${id}`,
    Status: 'ACTIVE',
    MaxSessionDuration: 3600,
    InlinePolicies: [{ Name: 'p', Policy: '{"Version":"2012-10-17","Statement":[]}' }],
    Tags: { Team: 'a' },
    Version: 1,
    ...attributes,
  });
}

async function assignment(
  permissionSetId: string,
  id: string,
  accountTypeId: string,
  status = 'DEPLOYMENT_COMPLETE',
) {
  await put({
    ...assignmentKey(permissionSetId, id),
    GSI2PK: `ACCOUNTTYPE#${accountTypeId}`,
    GSI2SK: `PSASSIGNMENT#${id}`,
    Id: id,
    PermissionSetId: permissionSetId,
    AccountTypeId: accountTypeId,
    GroupId: 'g-1',
    Status: status,
    Version: 1,
  });
}

function accountImage(accountType: string | undefined, status: string): Record<string, AttributeValue> {
  return {
    PK: { S: 'ACCOUNT#acc-1' },
    SK: { S: 'ACCOUNT' },
    Id: { S: 'acc-1' },
    AwsAccountId: { S: AWS_ACCOUNT },
    Status: { S: status },
    ...(accountType && { AccountType: { S: accountType } }),
  };
}

function modify(
  before: Record<string, AttributeValue> | undefined,
  after: Record<string, AttributeValue> | undefined,
): DynamoDBRecord {
  return {
    eventName: before ? (after ? 'MODIFY' : 'REMOVE') : 'INSERT',
    dynamodb: {
      Keys: { PK: { S: 'ACCOUNT#acc-1' }, SK: { S: 'ACCOUNT' } },
      ...(before && { OldImage: before }),
      ...(after && { NewImage: after }),
      SequenceNumber: '100',
    },
  };
}

describe('accountMove', () => {
  it.each([
    [
      'changes type',
      accountImage('at-a', 'ACTIVE'),
      accountImage('at-b', 'ACTIVE'),
      { joined: 'at-b', left: 'at-a' },
    ],
    [
      'becomes ACTIVE',
      accountImage('at-a', 'INITIALIZING'),
      accountImage('at-a', 'ACTIVE'),
      { joined: 'at-a' },
    ],
    ['is suspended', accountImage('at-a', 'ACTIVE'), accountImage('at-a', 'SUSPENDED'), { left: 'at-a' }],
    [
      'gets its first type',
      accountImage(undefined, 'ACTIVE'),
      accountImage('at-a', 'ACTIVE'),
      { joined: 'at-a' },
    ],
  ])('an account that %s', (_case, before, after, expected) => {
    const move = accountMove(modify(before, after));
    expect({ joined: move?.joined, left: move?.left }).toEqual({
      joined: undefined,
      left: undefined,
      ...expected,
    });
  });

  it('ignores a change that keeps the type and the ACTIVE status', () => {
    expect(
      accountMove(
        modify(accountImage('at-a', 'ACTIVE'), { ...accountImage('at-a', 'ACTIVE'), Name: { S: 'x' } }),
      ),
    ).toBeUndefined();
  });
});

describe('fanOutAccountMoves', () => {
  it("requests deletes for the old type's assignments and deploys for the new type's, and enqueues them", async () => {
    for (const id of ['f1', 'f2', 'f3', 'f4']) await permissionSet(id);
    await assignment('f1', 'as-f1', 'at-old');
    await assignment('f2', 'as-f2', 'at-old');
    await assignment('f3', 'as-f3', 'at-new');
    await assignment('f4', 'as-f4', 'at-new', 'DELETE_REQUESTED');
    await put({
      ...deploymentKey('f1', 'as-f1', AWS_ACCOUNT),
      PermissionSetId: 'f1',
      AssignmentId: 'as-f1',
      AwsAccountId: AWS_ACCOUNT,
      AccountId: 'acc-1',
      Status: 'DEPLOYMENT_COMPLETE',
      RequestedAt: '2026-11-01T00:00:00.000Z',
      ModifiedTS: '2026-11-01T00:00:00.000Z',
      Version: 3,
    });
    const queue = new MemoryQueue();

    const result = await fanOutAccountMoves(
      { db, store: new DynamoDeploymentStore(db), queue, clock, logger },
      { Records: [modify(accountImage('at-old', 'ACTIVE'), accountImage('at-new', 'ACTIVE'))] },
    );

    expect(result).toEqual({ batchItemFailures: [] });
    const requestedAt = NOW.toISOString();
    expect(queue.messages).toEqual([
      {
        permissionSetId: 'f1',
        assignmentId: 'as-f1',
        awsAccountId: AWS_ACCOUNT,
        action: 'delete',
        requestedAt,
      },
      {
        permissionSetId: 'f2',
        assignmentId: 'as-f2',
        awsAccountId: AWS_ACCOUNT,
        action: 'delete',
        requestedAt,
      },
      {
        permissionSetId: 'f3',
        assignmentId: 'as-f3',
        awsAccountId: AWS_ACCOUNT,
        action: 'deploy',
        requestedAt,
      },
    ]);
    expect(await get(deploymentKey('f1', 'as-f1', AWS_ACCOUNT))).toMatchObject({
      Status: 'DELETE_REQUESTED',
      Version: 4,
      RequestedAt: requestedAt,
    });
    expect(await get(deploymentKey('f3', 'as-f3', AWS_ACCOUNT))).toMatchObject({
      Status: 'CREATE_REQUESTED',
      Version: 1,
      AccountId: 'acc-1',
    });
    expect(await get(deploymentKey('f4', 'as-f4', AWS_ACCOUNT))).toBeUndefined();
  });
});

describe('reconcile', () => {
  let fake: FakeIam;
  beforeEach(() => {
    fake = new FakeIam();
  });
  afterEach(() => fake.restore());

  it('reports a role changed outside staxid as drift, audits it, and the requested deploy repairs it', async () => {
    await permissionSet('r1');
    await assignment('r1', 'as-r1', 'at-r');
    await put({
      ...deploymentKey('r1', 'as-r1', AWS_ACCOUNT),
      PermissionSetId: 'r1',
      AssignmentId: 'as-r1',
      AwsAccountId: AWS_ACCOUNT,
      AccountId: 'acc-1',
      Status: 'CREATE_REQUESTED',
      RequestedAt: '2026-11-01T00:00:00.000Z',
      ModifiedTS: '2026-11-01T00:00:00.000Z',
      Version: 1,
    });
    const store = new DynamoDeploymentStore(db);
    const iam = new IamAccountIamProvider({
      deployerRoleArn: 'arn:aws:iam::222222222222:role/staxid-deployer',
      retry: noSleep,
    });
    const deploymentDeps = { store, iam, clock, retry: noSleep };
    await runDeployment(
      deploymentDeps,
      {
        permissionSetId: 'r1',
        assignmentId: 'as-r1',
        awsAccountId: AWS_ACCOUNT,
        action: 'deploy',
        requestedAt: '2026-11-01T00:00:00.000Z',
      },
      false,
    );
    const audit = new MemoryAuditSink();
    const queue = new MemoryQueue();
    const deps = { db, store, iam, queue, audit, clock, logger, retry: noSleep };

    expect(await reconcile(deps)).toEqual({ checked: 1, drifted: 0, failed: 0 });
    expect(audit.events).toEqual([]);

    const role = fake.roles.get('role-r1');
    role?.inline.set('backdoor', '{"Version":"2012-10-17","Statement":[]}');
    role?.tags.set('Team', 'b');
    role?.managed.add('arn:aws:iam::aws:policy/AdministratorAccess');

    expect(await reconcile(deps)).toEqual({ checked: 1, drifted: 1, failed: 0 });

    expect(audit.events).toHaveLength(1);
    expect(audit.events[0]).toMatchObject({
      staxEventType: DRIFT_DETECTED,
      actor: { type: 'system' },
      target: [
        { type: 'permission-set', id: 'r1' },
        { type: 'account', id: 'acc-1' },
      ],
      detail: {
        awsAccountId: AWS_ACCOUNT,
        roleName: 'role-r1',
        differences: [
          'inline policy backdoor added outside staxid',
          'managed policy arn:aws:iam::aws:policy/AdministratorAccess attached outside staxid',
          'tags Team missing or differ',
        ],
      },
    });
    expect(await get(deploymentKey('r1', 'as-r1', AWS_ACCOUNT))).toMatchObject({
      Status: 'UPDATE_REQUESTED',
      RequestedAt: NOW.toISOString(),
    });
    expect(queue.messages).toHaveLength(1);

    const [repair] = queue.messages;
    if (!repair) throw new Error('no repair message');
    expect(await runDeployment(deploymentDeps, repair, false)).toMatchObject({ result: 'complete' });

    expect([...(role?.inline.keys() ?? [])]).toEqual(['p']);
    expect(Object.fromEntries(role?.tags ?? [])).toEqual({ Team: 'a' });
    expect([...(role?.managed ?? [])]).toEqual([]);
    expect(await reconcile(deps)).toEqual({ checked: 1, drifted: 0, failed: 0 });
  });

  it('reports a deleted role as missing, and the repair recreates it', async () => {
    await permissionSet('r2');
    await put({
      ...deploymentKey('r2', 'as-r2', AWS_ACCOUNT),
      PermissionSetId: 'r2',
      AssignmentId: 'as-r2',
      AwsAccountId: AWS_ACCOUNT,
      AccountId: 'acc-1',
      Status: 'DEPLOYMENT_COMPLETE',
      RequestedAt: '2026-11-01T00:00:00.000Z',
      ModifiedTS: '2026-11-01T00:00:00.000Z',
      Version: 3,
    });
    const store = new DynamoDeploymentStore(db);
    const iam = new IamAccountIamProvider({
      deployerRoleArn: 'arn:aws:iam::222222222222:role/staxid-deployer',
      retry: noSleep,
    });
    const audit = new MemoryAuditSink();
    const queue = new MemoryQueue();

    const summary = await reconcile({ db, store, iam, queue, audit, clock, logger, retry: noSleep });

    expect(summary.drifted).toBeGreaterThanOrEqual(1);
    const event = audit.events.find((e) => e.target[0]?.id === 'r2');
    expect(event?.detail).toMatchObject({
      differences: ['role missing', 'inline policy p missing or differs'],
    });
    const repair = queue.messages.find((m) => m.permissionSetId === 'r2');
    if (!repair) throw new Error('no repair message');
    expect(await get(deploymentKey('r2', 'as-r2', AWS_ACCOUNT))).toMatchObject({
      Status: 'UPDATE_REQUESTED',
    });
    await runDeployment({ store, iam, clock, retry: noSleep }, repair, false);
    expect(fake.roles.get('role-r2')?.path).toBe('/staxid/');
  });
});
