/**
 * Creates staxid's single table from the one key schema in table-schema.ts, for the
 * local runtime and the test harness (the Identity stack builds the same table in CDK).
 */
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
  type TableDescription,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { TABLE_INDEXES, TABLE_KEYS, TABLE_TTL_ATTRIBUTE } from '@/lambdas/shared/table-schema';

/**
 * The CreateTable request for the staxid table: on-demand, both GSIs projecting ALL
 * attributes, and a stream of new and old images (the audit outbox and session
 * revocation read it, as in AWS).
 */
export function tableDefinition(tableName: string): CreateTableCommandInput {
  const keyNames = [
    TABLE_KEYS.partitionKey,
    TABLE_KEYS.sortKey,
    ...TABLE_INDEXES.flatMap((index) => [index.partitionKey, index.sortKey]),
  ];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: keyNames.map((name) => ({ AttributeName: name, AttributeType: 'S' })),
    KeySchema: [
      { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' },
      { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: TABLE_INDEXES.map((index) => ({
      IndexName: index.indexName,
      KeySchema: [
        { AttributeName: index.partitionKey, KeyType: 'HASH' },
        { AttributeName: index.sortKey, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    })),
    StreamSpecification: TABLE_STREAM,
  };
}

const TABLE_STREAM = { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' } as const;

/** Creates the table, waits until it is ACTIVE and enables TTL on `ttl`. Fails if it exists. */
export async function createTable(client: DynamoDBClient, tableName: string): Promise<TableDescription> {
  await client.send(new CreateTableCommand(tableDefinition(tableName)));
  const { reason } = await waitUntilTableExists(
    { client, maxWaitTime: 60, minDelay: 1, maxDelay: 2 },
    { TableName: tableName },
  );
  // DynamoDB Local accepts the setting (and reports it) but never deletes expired items.
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: TABLE_TTL_ATTRIBUTE, Enabled: true },
    }),
  );
  const description = (reason as { Table?: TableDescription } | undefined)?.Table;
  return description ?? (await describe(client, tableName)) ?? {};
}

/**
 * Creates the table unless it exists; an existing table must have the key schema of
 * table-schema.ts, otherwise this fails and says how to start afresh.
 */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<TableDescription> {
  const existing = await describe(client, tableName);
  if (existing) {
    assertSchema(existing, tableName);
    return existing.StreamSpecification?.StreamEnabled ? existing : enableStream(client, tableName);
  }
  try {
    return await createTable(client, tableName);
  } catch (error) {
    // Created by someone else in the meantime.
    if (!(error instanceof ResourceInUseException)) throw error;
    const created = await describe(client, tableName);
    if (!created) throw error;
    assertSchema(created, tableName);
    return created;
  }
}

/** A table made by an earlier version of staxid, before the stream: enable it. */
async function enableStream(client: DynamoDBClient, tableName: string): Promise<TableDescription> {
  await client.send(new UpdateTableCommand({ TableName: tableName, StreamSpecification: TABLE_STREAM }));
  return (await describe(client, tableName)) ?? {};
}

async function describe(client: DynamoDBClient, tableName: string): Promise<TableDescription | undefined> {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}

function keysOf(schema: readonly { AttributeName?: string; KeyType?: string }[] | undefined): string {
  return (schema ?? []).map((key) => `${key.AttributeName}:${key.KeyType}`).join(',');
}

function assertSchema(table: TableDescription, tableName: string): void {
  const expected = tableDefinition(tableName);
  const problems: string[] = [];
  if (keysOf(table.KeySchema) !== keysOf(expected.KeySchema)) {
    problems.push(`key schema is ${keysOf(table.KeySchema)}, expected ${keysOf(expected.KeySchema)}`);
  }
  for (const index of expected.GlobalSecondaryIndexes ?? []) {
    const actual = table.GlobalSecondaryIndexes?.find((candidate) => candidate.IndexName === index.IndexName);
    if (!actual) problems.push(`index ${index.IndexName} is missing`);
    else if (keysOf(actual.KeySchema) !== keysOf(index.KeySchema)) {
      problems.push(
        `index ${index.IndexName} has keys ${keysOf(actual.KeySchema)}, expected ${keysOf(index.KeySchema)}`,
      );
    }
  }
  if (problems.length > 0) {
    throw new Error(
      `Table ${tableName} does not match lambdas/shared/table-schema.ts: ${problems.join('; ')}. ` +
        'Delete the local database (the dynamodb/ folder under STAXID_HOME) to start afresh.',
    );
  }
}
