/**
 * A fresh table per test file in the run's DynamoDB Local (started by global-setup.ts):
 *
 *   let t: TestTable;
 *   beforeAll(async () => { t = await createTestTable(); });
 *   afterAll(() => t.drop());
 */
import { randomUUID } from 'node:crypto';
import { basename } from 'node:path';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createTable } from '@/local/table';
import { DYNAMODB_ENDPOINT_ENV, TEST_AWS_ENV } from '@/test/support/env';

export interface TestTable {
  readonly tableName: string;
  readonly client: DynamoDBClient;
  /** Marshalls plain JavaScript values (removeUndefinedValues on). */
  readonly doc: DynamoDBDocumentClient;
  /** Deletes the table and closes the clients. */
  drop(): Promise<void>;
}

/** The endpoint of the run's DynamoDB Local; fails with a hint when the global setup did not run. */
export function testDynamoDbEndpoint(): string {
  const endpoint = process.env[DYNAMODB_ENDPOINT_ENV];
  if (!endpoint) {
    throw new Error(
      `${DYNAMODB_ENDPOINT_ENV} is not set: run the tests through jest with jest.config.js ` +
        '(its globalSetup starts DynamoDB Local), or set it to a running DynamoDB Local.',
    );
  }
  return endpoint;
}

/** A DynamoDB client for the run's DynamoDB Local, with dummy credentials. */
export function testDynamoDbClient(): DynamoDBClient {
  return new DynamoDBClient({
    endpoint: testDynamoDbEndpoint(),
    region: TEST_AWS_ENV.AWS_REGION,
    credentials: {
      accessKeyId: TEST_AWS_ENV.AWS_ACCESS_KEY_ID,
      secretAccessKey: TEST_AWS_ENV.AWS_SECRET_ACCESS_KEY,
    },
    maxAttempts: 2,
  });
}

/** Creates a table with the real key schema under a unique name (derived from the test file's name). */
export async function createTestTable(): Promise<TestTable> {
  const testFile = basename(expect.getState().testPath ?? 'test', '.test.ts').replace(
    /[^A-Za-z0-9_.-]/g,
    '-',
  );
  const tableName = `test-${testFile.slice(0, 150)}-${randomUUID().slice(0, 8)}`;
  const client = testDynamoDbClient();
  await createTable(client, tableName);
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  let dropped = false;
  return {
    tableName,
    client,
    doc,
    drop: async () => {
      if (dropped) return;
      dropped = true;
      try {
        await client.send(new DeleteTableCommand({ TableName: tableName }));
      } finally {
        client.destroy();
      }
    },
  };
}
