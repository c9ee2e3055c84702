import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDeploymentStore, deploymentKey } from '@/lambdas/deployments/deployment-store';
import type { DeploymentMessage } from '@/lambdas/deployments/messages';
import { createDb } from '@/lambdas/shared/db';
import type { Logger } from '@/lambdas/shared/logger';
import {
  LocalDeploymentQueue,
  LocalIam,
  localAccountMoveConsumer,
  localPermissionSetRoles,
} from '@/local/deployer';
import { createTestTable, type TestTable } from '@/test/support/dynamodb';

const AWS_ACCOUNT = '444444444444';
const logger: Logger = { info: () => {}, warn: () => {}, error: () => {} };

let table: TestTable;
let home: string;
beforeAll(async () => {
  table = await createTestTable();
  home = mkdtempSync(join(tmpdir(), 'staxid-deployer-'));
});
afterAll(async () => {
  rmSync(home, { recursive: true, force: true });
  await table.drop();
});

async function put(item: Record<string, unknown>) {
  await table.doc.send(new PutCommand({ TableName: table.tableName, Item: item }));
}

async function requestDeployment(
  action: DeploymentMessage['action'],
  status: string,
  requestedAt: string,
  version: number,
) {
  await put({
    ...deploymentKey('ps-local', 'as-local', AWS_ACCOUNT),
    PermissionSetId: 'ps-local',
    AssignmentId: 'as-local',
    AwsAccountId: AWS_ACCOUNT,
    AccountId: 'acc-local',
    Status: status,
    RequestedAt: requestedAt,
    ModifiedTS: requestedAt,
    Version: version,
  });
  const message: DeploymentMessage = {
    permissionSetId: 'ps-local',
    assignmentId: 'as-local',
    awsAccountId: AWS_ACCOUNT,
    action,
    requestedAt,
  };
  return message;
}

test('deploys a permission set role to $STAXID_HOME/iam, where the STS stand-in finds it, and removes it again', async () => {
  const iamDir = join(home, 'iam');
  await put({
    PK: 'PERMSET#ps-local',
    SK: 'PERMSET',
    Id: 'ps-local',
    Name: 'data-scientists',
    Status: 'ACTIVE',
    MaxSessionDuration: 14400,
    AWSManagedPolicies: [{ PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }],
    Tags: { Team: 'data' },
    Version: 1,
  });
  const queue = new LocalDeploymentQueue({
    store: new DynamoDeploymentStore(createDb(table.tableName, table.client)),
    iam: new LocalIam(iamDir),
    clock: { now: () => new Date('2026-11-30T12:00:00.000Z') },
    logger,
  });
  const roles = localPermissionSetRoles(iamDir);
  const roleArn = `arn:aws:iam::${AWS_ACCOUNT}:role/staxid/data-scientists`;

  await queue.enqueue([await requestDeployment('deploy', 'CREATE_REQUESTED', '2026-11-30T11:00:00.000Z', 1)]);
  await queue.idle();

  const file = join(iamDir, AWS_ACCOUNT, 'roles', 'data-scientists.json');
  expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({
    name: 'data-scientists',
    path: '/staxid/',
    maxSessionDuration: 14400,
    managedPolicyArns: ['arn:aws:iam::aws:policy/ReadOnlyAccess'],
    tags: { Team: 'data' },
  });
  expect(roles(roleArn)).toEqual({ maxSessionDuration: 14400 });
  expect(roles(`arn:aws:iam::${AWS_ACCOUNT}:role/staxid/other`)).toBeUndefined();
  const { Item } = await table.doc.send(
    new GetCommand({ TableName: table.tableName, Key: deploymentKey('ps-local', 'as-local', AWS_ACCOUNT) }),
  );
  expect(Item).toMatchObject({ Status: 'DEPLOYMENT_COMPLETE' });

  await queue.enqueue([await requestDeployment('delete', 'DELETE_REQUESTED', '2026-11-30T11:30:00.000Z', 4)]);
  await queue.idle();

  expect(existsSync(file)).toBe(false);
  expect(roles(roleArn)).toBeUndefined();
});

test('an account that joins an account type under npm start gets its permission-set roles', async () => {
  const iamDir = join(home, 'iam-moves');
  await put({
    PK: 'PERMSET#ps-move',
    SK: 'PERMSET',
    Id: 'ps-move',
    Name: 'movers',
    Status: 'ACTIVE',
    Version: 1,
  });
  await put({
    PK: 'PERMSET#ps-move',
    SK: 'ASSIGNMENT#as-move',
    GSI2PK: 'ACCOUNTTYPE#at-move',
    GSI2SK: 'PSASSIGNMENT#as-move',
    Id: 'as-move',
    PermissionSetId: 'ps-move',
    AccountTypeId: 'at-move',
    Status: 'DEPLOYMENT_COMPLETE',
    Version: 1,
  });
  const db = createDb(table.tableName, table.client);
  const store = new DynamoDeploymentStore(db);
  const clock = { now: () => new Date('2026-11-30T12:00:00.000Z') };
  const queue = new LocalDeploymentQueue({ store, iam: new LocalIam(iamDir), clock, logger });
  const consume = localAccountMoveConsumer({ db, store, queue, clock, logger });
  const image = (accountType: string | undefined) => ({
    PK: { S: 'ACCOUNT#acc-move' },
    SK: { S: 'ACCOUNT' },
    Id: { S: 'acc-move' },
    AwsAccountId: { S: AWS_ACCOUNT },
    Status: { S: 'ACTIVE' },
    ...(accountType && { AccountType: { S: accountType } }),
  });

  expect(
    await consume([
      {
        eventName: 'MODIFY',
        dynamodb: {
          Keys: { PK: { S: 'ACCOUNT#acc-move' }, SK: { S: 'ACCOUNT' } },
          OldImage: image(undefined),
          NewImage: image('at-move'),
          SequenceNumber: '7',
        },
      },
    ]),
  ).toEqual({});
  await queue.idle();

  expect(localPermissionSetRoles(iamDir)(`arn:aws:iam::${AWS_ACCOUNT}:role/staxid/movers`)).toEqual({
    maxSessionDuration: 3600,
  });
});
