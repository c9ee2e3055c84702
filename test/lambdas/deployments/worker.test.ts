import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { IamAccountIamProvider } from '@/lambdas/deployments/account-iam';
import {
  assignmentKey,
  type DeploymentStatus,
  DynamoDeploymentStore,
  deploymentKey,
} from '@/lambdas/deployments/deployment-store';
import type { DeploymentMessage } from '@/lambdas/deployments/messages';
import { trustPolicy } from '@/lambdas/deployments/role-model';
import { aggregateStatus } from '@/lambdas/deployments/run-deployment';
import { createWorker } from '@/lambdas/deployments/worker';
import { createDb } from '@/lambdas/shared/db';
import type { Logger } from '@/lambdas/shared/logger';
import { FakeIam } from '@/test/lambdas/deployments/fake-iam';
import { createTestTable, type TestTable } from '@/test/support/dynamodb';

const ACCOUNT = '333333333333';
const DEPLOYER = 'arn:aws:iam::222222222222:role/staxid-deployer';
const NOW = new Date('2026-11-30T12:00:00.000Z');
const READ_ONLY = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
const BILLING = 'arn:aws:iam::aws:policy/job-function/Billing';
const S3_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }],
});
const EC2_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'ec2:Describe*', Resource: '*' }],
});

let table: TestTable;
let fake: FakeIam;
const logged: { level: string; message: string; fields?: unknown }[] = [];
const logger: Logger = {
  info: (message, fields) => logged.push({ level: 'info', message, fields }),
  warn: (message, fields) => logged.push({ level: 'warn', message, fields }),
  error: (message, fields) => logged.push({ level: 'error', message, fields }),
};

beforeAll(async () => {
  table = await createTestTable();
});
afterAll(() => table.drop());
beforeEach(() => {
  fake = new FakeIam();
  logged.length = 0;
});
afterEach(() => fake.restore());

let sequence = 0;
/** A fresh permission set, assignment and deployment (CREATE_REQUESTED) per test. */
async function seed(permissionSet: Record<string, unknown> = {}) {
  const n = ++sequence;
  const ids = { permissionSetId: `ps-${n}`, assignmentId: `as-${n}`, name: `network-admins-${n}` };
  await putPermissionSet(ids.permissionSetId, {
    Name: ids.name,
    Description: 'Network admins',
    AWSManagedPolicies: [{ PolicyArn: READ_ONLY }],
    InlinePolicies: [
      { Name: 's3', Policy: S3_POLICY },
      { Name: 'ec2', Policy: EC2_POLICY },
    ],
    MaxSessionDuration: 7200,
    Tags: { CostCode: '12345', Team: 'network' },
    ...permissionSet,
  });
  await table.doc.send(
    new PutCommand({
      TableName: table.tableName,
      Item: {
        ...assignmentKey(ids.permissionSetId, ids.assignmentId),
        GSI2PK: 'ACCOUNTTYPE#at-1',
        GSI2SK: `PSASSIGNMENT#${ids.assignmentId}`,
        Id: ids.assignmentId,
        PermissionSetId: ids.permissionSetId,
        AccountTypeId: 'at-1',
        GroupId: 'g-1',
        Status: 'CREATE_REQUESTED',
        Version: 1,
      },
    }),
  );
  const message = await request(ids, 'deploy', 'CREATE_REQUESTED', '2026-11-30T11:00:00.000Z');
  return { ...ids, message };
}

async function putPermissionSet(id: string, attributes: Record<string, unknown>) {
  await table.doc.send(
    new PutCommand({
      TableName: table.tableName,
      Item: { PK: `PERMSET#${id}`, SK: 'PERMSET', Id: id, Status: 'ACTIVE', Version: 1, ...attributes },
    }),
  );
}

/** Writes the deployment item as the API does and returns the message it would enqueue. */
async function request(
  ids: { permissionSetId: string; assignmentId: string },
  action: DeploymentMessage['action'],
  status: DeploymentStatus,
  requestedAt: string,
): Promise<DeploymentMessage> {
  const before = await deployment(ids);
  await table.doc.send(
    new PutCommand({
      TableName: table.tableName,
      Item: {
        ...deploymentKey(ids.permissionSetId, ids.assignmentId, ACCOUNT),
        PermissionSetId: ids.permissionSetId,
        AssignmentId: ids.assignmentId,
        AwsAccountId: ACCOUNT,
        AccountId: 'acc-1',
        Status: status,
        RequestedAt: requestedAt,
        ModifiedTS: requestedAt,
        Version: Number(before?.Version ?? 0) + 1,
      },
    }),
  );
  return {
    permissionSetId: ids.permissionSetId,
    assignmentId: ids.assignmentId,
    awsAccountId: ACCOUNT,
    action,
    requestedAt,
  };
}

async function deployment(ids: { permissionSetId: string; assignmentId: string }) {
  const { Item } = await table.doc.send(
    new GetCommand({
      TableName: table.tableName,
      Key: deploymentKey(ids.permissionSetId, ids.assignmentId, ACCOUNT),
    }),
  );
  return Item;
}

async function assignment(ids: { permissionSetId: string; assignmentId: string }) {
  const { Item } = await table.doc.send(
    new GetCommand({ TableName: table.tableName, Key: assignmentKey(ids.permissionSetId, ids.assignmentId) }),
  );
  return Item;
}

function worker() {
  return createWorker({
    store: new DynamoDeploymentStore(createDb(table.tableName, table.client)),
    iam: new IamAccountIamProvider({ deployerRoleArn: DEPLOYER, retry: { sleep: async () => {} } }),
    clock: { now: () => NOW },
    retry: { sleep: async () => {} },
    logger,
  });
}

let nextId = 0;
function sqsEvent(message: DeploymentMessage, receiveCount = 1): SQSEvent {
  const messageId = `m-${++nextId}`;
  const record: SQSRecord = {
    messageId,
    receiptHandle: messageId,
    body: JSON.stringify(message),
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: '0',
      SenderId: 'api',
      ApproximateFirstReceiveTimestamp: '0',
      MessageGroupId: message.awsAccountId,
      MessageDeduplicationId: messageId,
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-west-1:222222222222:deployments.fifo',
    awsRegion: 'eu-west-1',
  };
  return { Records: [record] };
}

async function run(message: DeploymentMessage, receiveCount = 1) {
  return worker()(sqsEvent(message, receiveCount));
}

function roleOf(name: string) {
  const role = fake.roles.get(name);
  if (!role) throw new Error(`no role ${name}`);
  return {
    path: role.path,
    description: role.description,
    maxSessionDuration: role.maxSessionDuration,
    trust: JSON.parse(role.trustPolicy),
    inline: Object.fromEntries(role.inline),
    managed: [...role.managed].sort(),
    tags: Object.fromEntries(role.tags),
  };
}

describe('deploy', () => {
  it('creates the role exactly as the permission set says and completes the deployment and assignment', async () => {
    const ps = await seed();

    expect(await run(ps.message)).toEqual({ batchItemFailures: [] });

    expect(roleOf(ps.name)).toEqual({
      path: '/staxid/',
      description: 'Network admins',
      maxSessionDuration: 7200,
      trust: JSON.parse(trustPolicy('aws', ACCOUNT)),
      inline: { s3: S3_POLICY, ec2: EC2_POLICY },
      managed: [READ_ONLY],
      tags: { CostCode: '12345', Team: 'network' },
    });
    expect(roleOf(ps.name).trust.Statement[0]).toEqual({
      Effect: 'Allow',
      Principal: { Federated: `arn:aws:iam::${ACCOUNT}:saml-provider/staxid` },
      Action: ['sts:AssumeRoleWithSAML', 'sts:SetSourceIdentity', 'sts:TagSession'],
      Condition: { StringEquals: { 'SAML:aud': 'https://signin.aws.amazon.com/saml' } },
    });
    const item = await deployment(ps);
    expect(item).toMatchObject({ Status: 'DEPLOYMENT_COMPLETE', Version: 3 });
    expect(item).not.toHaveProperty('RequestedStatus');
    expect(await assignment(ps)).toMatchObject({ Status: 'DEPLOYMENT_COMPLETE', Version: 2 });
  });

  it('makes no write call when the role already matches (a second run)', async () => {
    const ps = await seed();
    await run(ps.message);
    fake.resetCalls();

    const again = await request(ps, 'deploy', 'UPDATE_REQUESTED', '2026-11-30T11:30:00.000Z');
    expect(await run(again)).toEqual({ batchItemFailures: [] });

    expect(fake.writes()).toEqual([]);
    expect(fake.calls.length).toBeGreaterThan(0);
    expect(await deployment(ps)).toMatchObject({ Status: 'DEPLOYMENT_COMPLETE' });
  });

  it('updates the role to the new state, removing policies and tags no longer asked for', async () => {
    const ps = await seed();
    await run(ps.message);
    const changedS3 = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Deny', Action: 's3:*', Resource: '*' }],
    });
    await putPermissionSet(ps.permissionSetId, {
      Name: ps.name,
      Description: 'Network admins v2',
      AWSManagedPolicies: [{ PolicyArn: BILLING }],
      InlinePolicies: [{ Name: 's3', Policy: changedS3 }],
      MaxSessionDuration: 3600,
      Tags: { CostCode: '999' },
    });
    fake.resetCalls();

    const update = await request(ps, 'deploy', 'UPDATE_REQUESTED', '2026-11-30T11:30:00.000Z');
    await run(update);

    expect(roleOf(ps.name)).toMatchObject({
      description: 'Network admins v2',
      maxSessionDuration: 3600,
      inline: { s3: changedS3 },
      managed: [BILLING],
      tags: { CostCode: '999' },
    });
    expect(fake.writes().sort()).toEqual(
      [
        'AttachRolePolicy',
        'DeleteRolePolicy',
        'DetachRolePolicy',
        'PutRolePolicy',
        'TagRole',
        'UntagRole',
        'UpdateRole',
      ].sort(),
    );
    expect(await deployment(ps)).toMatchObject({ Status: 'DEPLOYMENT_COMPLETE' });
  });

  it('retries throttling and conflicts with backoff and still completes', async () => {
    const ps = await seed();
    fake.failures.push(
      { command: 'CreateRole', name: 'Throttling' },
      { command: 'PutRolePolicy', name: 'ConcurrentModification' },
      { command: 'AttachRolePolicy', name: 'TooManyRequestsException' },
      { command: 'GetRole', name: 'EntityTemporarilyUnmodifiable' },
    );

    expect(await run(ps.message)).toEqual({ batchItemFailures: [] });

    expect(fake.failures).toEqual([]);
    expect(roleOf(ps.name).managed).toEqual([READ_ONLY]);
    expect(await deployment(ps)).toMatchObject({ Status: 'DEPLOYMENT_COMPLETE' });
  });

  it('recreates the role when it is deleted between two calls', async () => {
    const ps = await seed();
    let deletedOnce = false;
    fake.onCall = (command) => {
      if (command === 'PutRolePolicy' && !deletedOnce) {
        deletedOnce = true;
        fake.roles.delete(ps.name);
      }
    };

    expect(await run(ps.message)).toEqual({ batchItemFailures: [] });

    expect(deletedOnce).toBe(true);
    expect(fake.calls.filter((call) => call === 'CreateRole')).toHaveLength(2);
    expect(roleOf(ps.name).inline).toEqual({ s3: S3_POLICY, ec2: EC2_POLICY });
    expect(await deployment(ps)).toMatchObject({ Status: 'DEPLOYMENT_COMPLETE' });
  });

  it('puts a partly applied deployment back to its requested status, and converges on redelivery', async () => {
    const ps = await seed();
    for (let i = 0; i < 4; i++) fake.failures.push({ command: 'AttachRolePolicy', name: 'Throttling' });

    const first = await run(ps.message);

    expect(first.batchItemFailures).toHaveLength(1);
    expect(fake.roles.has(ps.name)).toBe(true);
    expect(roleOf(ps.name).managed).toEqual([]);
    expect(await deployment(ps)).toMatchObject({ Status: 'CREATE_REQUESTED' });
    expect(await assignment(ps)).toMatchObject({ Status: 'CREATE_REQUESTED' });

    expect(await run(ps.message, 2)).toEqual({ batchItemFailures: [] });

    expect(roleOf(ps.name).managed).toEqual([READ_ONLY]);
    expect(await deployment(ps)).toMatchObject({ Status: 'DEPLOYMENT_COMPLETE' });
  });

  it('records DEPLOYMENT_FAILED with the reason on the last delivery, and still fails the message to the DLQ', async () => {
    const ps = await seed();
    for (let i = 0; i < 4; i++) fake.failures.push({ command: 'CreateRole', name: 'Throttling' });

    const result = await run(ps.message, 5);

    expect(result.batchItemFailures).toHaveLength(1);
    expect(await deployment(ps)).toMatchObject({
      Status: 'DEPLOYMENT_FAILED',
      StatusReason: expect.stringContaining('Throttling'),
    });
    expect(await assignment(ps)).toMatchObject({ Status: 'DEPLOYMENT_FAILED' });
  });

  it('records a policy IAM refuses as DEPLOYMENT_FAILED at once, without redelivery', async () => {
    const ps = await seed();
    fake.failures.push({ command: 'PutRolePolicy', name: 'MalformedPolicyDocument' });

    expect(await run(ps.message)).toEqual({ batchItemFailures: [] });

    expect(await deployment(ps)).toMatchObject({
      Status: 'DEPLOYMENT_FAILED',
      StatusReason: expect.stringContaining('MalformedPolicyDocument'),
    });
  });

  it('refuses to take over a role of the same name outside /staxid/', async () => {
    const ps = await seed();
    fake.roles.set(ps.name, {
      path: '/',
      description: '',
      maxSessionDuration: 3600,
      trustPolicy: '{}',
      inline: new Map(),
      managed: new Set(),
      tags: new Map(),
    });

    await run(ps.message);

    expect(fake.writes()).toEqual([]);
    // Its name and path are all it reads: the automation role may read no more of it.
    expect(fake.calls.filter((call) => call !== 'GetRole' && call !== 'AssumeRole')).toEqual([]);
    expect(await deployment(ps)).toMatchObject({
      Status: 'DEPLOYMENT_FAILED',
      StatusReason: expect.stringContaining('/staxid/'),
    });
  });

  it('drops a message older than the deployment item', async () => {
    const ps = await seed();
    await request(ps, 'deploy', 'UPDATE_REQUESTED', '2026-11-30T11:45:00.000Z');
    const before = await deployment(ps);

    expect(await run(ps.message)).toEqual({ batchItemFailures: [] });

    expect(fake.calls).toEqual([]);
    expect(await deployment(ps)).toEqual(before);
  });

  it('sends an unparsable message to redelivery and the DLQ without touching anything', async () => {
    const ps = await seed();
    const result = await worker()({
      Records: [{ ...sqsEvent(ps.message).Records[0], body: '{"action":"explode"}' } as SQSRecord],
    });
    expect(result.batchItemFailures).toHaveLength(1);
    expect(fake.calls).toEqual([]);
  });
});

describe('delete', () => {
  it('removes inline and managed policies, then the role, and completes the deletion', async () => {
    const ps = await seed();
    await run(ps.message);
    await table.doc.send(
      new PutCommand({
        TableName: table.tableName,
        Item: {
          ...assignmentKey(ps.permissionSetId, ps.assignmentId),
          Id: ps.assignmentId,
          PermissionSetId: ps.permissionSetId,
          AccountTypeId: 'at-1',
          Status: 'DELETE_REQUESTED',
          Version: 5,
        },
      }),
    );
    const remove = await request(ps, 'delete', 'DELETE_REQUESTED', '2026-11-30T11:30:00.000Z');

    expect(await run(remove)).toEqual({ batchItemFailures: [] });

    expect(fake.roles.has(ps.name)).toBe(false);
    expect(await deployment(ps)).toMatchObject({ Status: 'DELETE_COMPLETE' });
    expect(await assignment(ps)).toMatchObject({ Status: 'DELETE_COMPLETE' });
  });

  it('is done when the role is already gone', async () => {
    const ps = await seed();
    const remove = await request(ps, 'delete', 'DELETE_REQUESTED', '2026-11-30T11:30:00.000Z');

    expect(await run(remove)).toEqual({ batchItemFailures: [] });

    expect(fake.writes()).toEqual([]);
    expect(await deployment(ps)).toMatchObject({ Status: 'DELETE_COMPLETE' });
  });
});

describe('aggregateStatus', () => {
  it.each<[DeploymentStatus, DeploymentStatus[], DeploymentStatus]>([
    ['CREATE_REQUESTED', ['CREATE_REQUESTED', 'CREATE_REQUESTED'], 'CREATE_REQUESTED'],
    ['CREATE_REQUESTED', ['DEPLOYMENT_COMPLETE', 'CREATE_REQUESTED'], 'DEPLOYMENT_IN_PROGRESS'],
    ['DEPLOYMENT_IN_PROGRESS', ['DEPLOYMENT_COMPLETE', 'DEPLOYMENT_FAILED'], 'DEPLOYMENT_FAILED'],
    ['DEPLOYMENT_IN_PROGRESS', ['DEPLOYMENT_COMPLETE', 'DELETE_IN_PROGRESS'], 'DEPLOYMENT_COMPLETE'],
    ['UPDATE_REQUESTED', [], 'DEPLOYMENT_COMPLETE'],
    ['DELETE_REQUESTED', ['DELETE_COMPLETE', 'DELETE_IN_PROGRESS'], 'DELETE_IN_PROGRESS'],
    ['DELETE_IN_PROGRESS', ['DELETE_COMPLETE', 'DELETE_FAILED'], 'DELETE_FAILED'],
    ['DELETE_IN_PROGRESS', ['DELETE_COMPLETE', 'DELETE_COMPLETE'], 'DELETE_COMPLETE'],
  ])('assignment %s with deployments %j → %s', (current, deployments, expected) => {
    expect(aggregateStatus({ Status: current }, deployments)).toBe(expected);
  });
});
