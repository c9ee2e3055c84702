import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  ListTablesCommand,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { TABLE_INDEXES, TABLE_TTL_ATTRIBUTE } from '@/lambdas/shared/table-schema';
import {
  checkJava,
  type DynamoDbLocal,
  DynamoDbLocalStartError,
  JavaNotFoundError,
  REGISTRY_ENV,
  reapRegistry,
  startDynamoDbLocal,
} from '@/local/dynamodb-local';
import { ensureTable } from '@/local/table';
import { createTestTable, type TestTable, testDynamoDbClient } from '@/test/support/dynamodb';
import { isRunning, waitForExit } from '@/test/support/processes';

describe('the test table in DynamoDB Local', () => {
  let t: TestTable;
  beforeAll(async () => {
    t = await createTestTable();
  });
  afterAll(() => t.drop());

  it('has the key schema of table-schema.ts, both GSIs projecting ALL, and TTL on `ttl`', async () => {
    const { Table } = await t.client.send(new DescribeTableCommand({ TableName: t.tableName }));
    expect(Table?.KeySchema).toEqual([
      { AttributeName: 'PK', KeyType: 'HASH' },
      { AttributeName: 'SK', KeyType: 'RANGE' },
    ]);
    const indexes = (Table?.GlobalSecondaryIndexes ?? []).map((index) => ({
      name: index.IndexName,
      keys: index.KeySchema,
      projection: index.Projection?.ProjectionType,
    }));
    expect(indexes).toEqual(
      expect.arrayContaining(
        TABLE_INDEXES.map((index) => ({
          name: index.indexName,
          keys: [
            { AttributeName: index.partitionKey, KeyType: 'HASH' },
            { AttributeName: index.sortKey, KeyType: 'RANGE' },
          ],
          projection: 'ALL',
        })),
      ),
    );
    expect(indexes).toHaveLength(TABLE_INDEXES.length);
    const ttl = await t.client.send(new DescribeTimeToLiveCommand({ TableName: t.tableName }));
    expect(ttl.TimeToLiveDescription).toEqual({
      AttributeName: TABLE_TTL_ATTRIBUTE,
      TimeToLiveStatus: 'ENABLED',
    });
  });

  it('ensureTable accepts the existing table and leaves it as it is', async () => {
    const table = await ensureTable(t.client, t.tableName);
    expect(table.TableName).toBe(t.tableName);
    expect(table.TableStatus).toBe('ACTIVE');
  });

  it('ensureTable refuses a table whose keys differ from table-schema.ts', async () => {
    const tableName = `${t.tableName}-other`;
    await t.client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      }),
    );
    try {
      await expect(ensureTable(t.client, tableName)).rejects.toThrow(
        `Table ${tableName} does not match lambdas/shared/table-schema.ts: key schema is id:HASH, expected ` +
          'PK:HASH,SK:RANGE; index GSI1 is missing; index GSI2 is missing. ' +
          'Delete the local database (the dynamodb/ folder under STAXID_HOME) to start afresh.',
      );
    } finally {
      await t.client.send(new DeleteTableCommand({ TableName: tableName }));
    }
  });

  it('writes and reads an item', async () => {
    const item = { PK: 'USER#u1', SK: 'PROFILE', Email: 'ada@example.com', Version: 1 };
    await t.doc.send(new PutCommand({ TableName: t.tableName, Item: item }));
    const { Item } = await t.doc.send(
      new GetCommand({ TableName: t.tableName, Key: { PK: 'USER#u1', SK: 'PROFILE' } }),
    );
    expect(Item).toEqual(item);
  });

  it('queries GSI1 and GSI2 by their own keys', async () => {
    const items = [
      {
        PK: 'GROUP#g1',
        SK: 'MEMBER#u1',
        GSI1PK: 'KIND#MEMBER',
        GSI1SK: 'b',
        GSI2PK: 'USER#u1',
        GSI2SK: 'GROUP#g1',
      },
      {
        PK: 'GROUP#g2',
        SK: 'MEMBER#u1',
        GSI1PK: 'KIND#MEMBER',
        GSI1SK: 'a',
        GSI2PK: 'USER#u1',
        GSI2SK: 'GROUP#g2',
      },
      {
        PK: 'GROUP#g2',
        SK: 'MEMBER#u2',
        GSI1PK: 'KIND#OTHER',
        GSI1SK: 'c',
        GSI2PK: 'USER#u2',
        GSI2SK: 'GROUP#g2',
      },
    ];
    for (const Item of items) await t.doc.send(new PutCommand({ TableName: t.tableName, Item }));

    const byGsi1 = await t.doc.send(
      new QueryCommand({
        TableName: t.tableName,
        IndexName: 'GSI1',
        KeyConditionExpression: 'GSI1PK = :pk',
        ExpressionAttributeValues: { ':pk': 'KIND#MEMBER' },
      }),
    );
    // Sorted by GSI1SK, with every attribute projected.
    expect(byGsi1.Items).toEqual([items[1], items[0]]);

    const byGsi2 = await t.doc.send(
      new QueryCommand({
        TableName: t.tableName,
        IndexName: 'GSI2',
        KeyConditionExpression: 'GSI2PK = :pk AND begins_with(GSI2SK, :group)',
        ExpressionAttributeValues: { ':pk': 'USER#u1', ':group': 'GROUP#' },
      }),
    );
    expect(byGsi2.Items?.map((item) => item.PK)).toEqual(['GROUP#g1', 'GROUP#g2']);
  });

  it('cancels a whole transaction when one condition fails, writing nothing', async () => {
    await t.doc.send(
      new PutCommand({
        TableName: t.tableName,
        Item: { PK: 'UNIQUE#EMAIL#taken@example.com', SK: 'GUARD', UserId: 'u1' },
      }),
    );
    const transaction = new TransactWriteCommand({
      TransactItems: [
        {
          Put: { TableName: t.tableName, Item: { PK: 'USER#u9', SK: 'PROFILE', Email: 'taken@example.com' } },
        },
        {
          Put: {
            TableName: t.tableName,
            Item: { PK: 'UNIQUE#EMAIL#taken@example.com', SK: 'GUARD', UserId: 'u9' },
            ConditionExpression: 'attribute_not_exists(PK)',
          },
        },
      ],
    });

    const error: unknown = await t.doc.send(transaction).then(
      () => undefined,
      (caught: unknown) => caught,
    );

    expect(error).toBeInstanceOf(TransactionCanceledException);
    const reasons = (error as TransactionCanceledException).CancellationReasons ?? [];
    expect(reasons.map((reason) => reason.Code)).toEqual(['None', 'ConditionalCheckFailed']);
    const user = await t.doc.send(
      new GetCommand({ TableName: t.tableName, Key: { PK: 'USER#u9', SK: 'PROFILE' } }),
    );
    expect(user.Item).toBeUndefined();
    const guard = await t.doc.send(
      new GetCommand({ TableName: t.tableName, Key: { PK: 'UNIQUE#EMAIL#taken@example.com', SK: 'GUARD' } }),
    );
    expect(guard.Item?.UserId).toBe('u1');
  });
});

/**
 * A second Java on a loaded CI machine (the run's DynamoDB Local and two jest workers beside
 * it) takes 10–30 s to answer: how long it was is no property of the launcher, so these tests
 * give it room and assert what it did, not how fast.
 */
const JAVA_START_MS = 90_000;
const JAVA_TEST_MS = JAVA_START_MS + 30_000;

describe('startDynamoDbLocal', () => {
  it('says how to install Java when `java` is not on the PATH', async () => {
    const emptyDir = mkdtempSync(join(tmpdir(), 'staxid-nojava-'));
    try {
      const start = startDynamoDbLocal({ env: { ...process.env, PATH: emptyDir } });
      await expect(start).rejects.toThrow(JavaNotFoundError);
      await expect(start).rejects.toThrow(
        'DynamoDB Local needs Java, but `java` was not found on the PATH. Install a Java 17 runtime, ' +
          'e.g. `apt-get install -y openjdk-17-jre-headless` (or run `bash .ci/run`, which installs it), then try again.',
      );
    } finally {
      rmSync(emptyDir, { recursive: true, force: true });
    }
  });

  it('refuses a Java older than 17', () => {
    const dir = mkdtempSync(join(tmpdir(), 'staxid-oldjava-'));
    try {
      const fakeJava = join(dir, 'java');
      writeFileSync(fakeJava, '#!/bin/sh\necho \'java version "1.8.0_392"\' >&2\n', { mode: 0o755 });
      expect(() => checkJava(fakeJava)).toThrow(`\`${fakeJava}\` is Java 8`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('surfaces the output of a DynamoDB Local that exits before it answers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'staxid-badjava-'));
    try {
      const fakeJava = join(dir, 'java');
      writeFileSync(
        fakeJava,
        '#!/bin/sh\nif [ "$1" = -version ]; then echo \'openjdk version "17.0.1"\' >&2; exit 0; fi\n' +
          'echo "Error: could not open the database" >&2\nexit 3\n',
        { mode: 0o755 },
      );
      const start = startDynamoDbLocal({ javaCommand: fakeJava, startTimeoutMs: 10_000 });
      await expect(start).rejects.toThrow(DynamoDbLocalStartError);
      await expect(start).rejects.toThrow(
        'DynamoDB Local exited before it answered. Its output:\nError: could not open the database',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports the Java version it runs with', () => {
    expect(checkJava()).toBeGreaterThanOrEqual(17);
  });

  it(
    'lists every instance in the registry of the run, from which leftovers are killed by PID',
    async () => {
      const saved = process.env[REGISTRY_ENV];
      const registry = mkdtempSync(join(tmpdir(), 'staxid-registry-'));
      process.env[REGISTRY_ENV] = registry;
      let instance: DynamoDbLocal | undefined;
      try {
        instance = await startDynamoDbLocal({ inMemory: true, startTimeoutMs: JAVA_START_MS });
        expect(readdirSync(registry)).toEqual([`${instance.pid}.json`]);

        expect(reapRegistry(registry)).toEqual([instance.pid]);

        await waitForExit(instance.pid);
        expect(existsSync(registry)).toBe(false);
      } finally {
        process.env[REGISTRY_ENV] = saved;
        await instance?.stop();
        rmSync(registry, { recursive: true, force: true });
      }
    },
    JAVA_TEST_MS,
  );

  it(
    'starts a second, separate instance whose stop() ends exactly that process',
    async () => {
      const instance = await startDynamoDbLocal({ inMemory: true, startTimeoutMs: JAVA_START_MS });
      expect(instance.endpoint).toBe(`http://127.0.0.1:${instance.port}`);
      expect(instance.endpoint).not.toBe(process.env.STAXID_TEST_DYNAMODB_ENDPOINT);
      expect(isRunning(instance.pid)).toBe(true);

      await instance.stop();

      expect(() => process.kill(instance.pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
      // stop() is idempotent.
      await expect(instance.stop()).resolves.toBeUndefined();
      // The run's own DynamoDB Local is untouched.
      const client = testDynamoDbClient();
      try {
        await expect(client.send(new ListTablesCommand({}))).resolves.toHaveProperty('TableNames');
      } finally {
        client.destroy();
      }
    },
    JAVA_TEST_MS,
  );
});
