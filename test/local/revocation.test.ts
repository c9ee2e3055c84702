import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { LocalRevocationTarget } from '@/lambdas/revocation/local-revocation-target';
import { createDb } from '@/lambdas/shared/db';
import { grantItem, grantTtl, type StoredGrant } from '@/lambdas/support/grant-items';
import { localRevocationConsumer } from '@/local/revocation';
import { type LocalStreamReader, startLocalStreamReader } from '@/local/stream-reader';
import { memberAccountItem } from '@/test/lambdas/revocation/account-items';
import { quietLogger } from '@/test/lambdas/tasks/harness';
import { createTestTable, type TestTable, testDynamoDbEndpoint } from '@/test/support/dynamodb';
import { TEST_AWS_ENV } from '@/test/support/env';

/**
 * Local session revocation (ADR 0013) fed by DynamoDB Local's real stream: a support grant
 * revoked while ACTIVE (ADR 0012) denies its engineer under `revocations/` in the grant's
 * scope only; one revoked while PENDING denies nothing.
 */

const ENGINEER = '2f9e8d7c-6b5a-4c3d-8e1f-0a9b8c7d6e5f';
const OTHER_ENGINEER = '3a9e8d7c-6b5a-4c3d-8e1f-0a9b8c7d6e5f';
const SCOPE_TYPE = 'b1f0c2d3-0000-4000-8000-000000000001';
const NAMED = '111111111111';
const OF_TYPE = '121212121212';
const SUSPENDED_OF_TYPE = '131313131313';
const OUT_OF_SCOPE = '141414141414';

let table: TestTable;
let streams: DynamoDBStreamsClient;
let home: string;
let reader: LocalStreamReader;

function grant(id: string, userId: string, status: StoredGrant['status']): StoredGrant {
  return {
    id,
    userId,
    supportGroupId: 'support',
    requestedBy: userId,
    caseReference: 'CASE-1',
    scope: { accountIds: ['named'], accountTypeIds: [SCOPE_TYPE] },
    roleName: 'staxid-readonly-role',
    durationHours: 2,
    status,
    createdTs: '2026-11-30T10:00:00.000Z',
    modifiedTs: new Date().toISOString(),
    ...(status !== 'PENDING' && {
      startsAt: '2026-11-30T10:05:00.000Z',
      expiresAt: new Date(Date.now() + 3600_000).toISOString(),
    }),
    version: 1,
  };
}

async function put(item: Record<string, unknown>): Promise<void> {
  await table.doc.send(new PutCommand({ TableName: table.tableName, Item: item }));
}

async function writeGrant(value: StoredGrant): Promise<void> {
  await put(grantItem(value, grantTtl(value)));
}

/** The users each recorded account's built-in developer role denies. */
function deniedUsers(): Record<string, unknown[]> {
  const dir = join(home, 'revocations');
  if (!existsSync(dir)) return {};
  const denied: Record<string, unknown[]> = {};
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.json'))) {
    const policies = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    const statements: { Condition: { StringEquals: { 'aws:SourceIdentity': unknown } } }[] =
      policies['staxid-developer-role']?.Statement ?? [];
    denied[file.replace('.json', '')] = statements.map(
      (statement) => statement.Condition.StringEquals['aws:SourceIdentity'],
    );
  }
  return denied;
}

beforeAll(async () => {
  table = await createTestTable();
  streams = new DynamoDBStreamsClient({
    endpoint: testDynamoDbEndpoint(),
    region: TEST_AWS_ENV.AWS_REGION,
    credentials: {
      accessKeyId: TEST_AWS_ENV.AWS_ACCESS_KEY_ID,
      secretAccessKey: TEST_AWS_ENV.AWS_SECRET_ACCESS_KEY,
    },
  });
  home = mkdtempSync(join(tmpdir(), 'staxid-local-revocation-'));
  for (const item of [
    memberAccountItem('named', NAMED),
    memberAccountItem('of-type', OF_TYPE, { accountType: SCOPE_TYPE }),
    memberAccountItem('suspended', SUSPENDED_OF_TYPE, { accountType: SCOPE_TYPE, status: 'SUSPENDED' }),
    memberAccountItem('outside', OUT_OF_SCOPE),
  ]) {
    await put(item);
  }
  reader = await startLocalStreamReader({
    dynamodb: table.client,
    streams,
    tableName: table.tableName,
    name: 'session revocation',
    logger: quietLogger,
    intervalMs: 50,
    consume: localRevocationConsumer({
      db: createDb(table.tableName, table.client),
      target: new LocalRevocationTarget(join(home, 'revocations')),
      clock: { now: () => new Date() },
      logger: quietLogger,
    }),
  });
});
afterAll(async () => {
  await reader.stop();
  streams.destroy();
  await table.drop();
  rmSync(home, { recursive: true, force: true });
});

describe('local session revocation of a support grant', () => {
  test('revoking a PENDING grant writes no revocation', async () => {
    const pending = grant('pending-grant', OTHER_ENGINEER, 'PENDING');
    await writeGrant(pending);
    await writeGrant({ ...pending, status: 'REVOKED', version: 2 });

    await reader.flush();

    expect(deniedUsers()).toEqual({});
  });

  test('revoking an ACTIVE grant denies its engineer in the ACTIVE accounts of its scope only', async () => {
    const active = grant('active-grant', ENGINEER, 'ACTIVE');
    await writeGrant(active);
    await reader.flush();
    expect(deniedUsers()).toEqual({});

    await writeGrant({ ...active, status: 'REVOKED', revokedTs: new Date().toISOString(), version: 2 });
    await reader.flush();

    expect(deniedUsers()).toEqual({ [NAMED]: [ENGINEER], [OF_TYPE]: [ENGINEER] });
  });
});
