import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TABLE_NAME_ENV } from '@/lambdas/shared/constants';

/**
 * The table and its client, handed to domain code as a dependency. Built once per
 * container; the endpoint comes from the SDK's own `AWS_ENDPOINT_URL_DYNAMODB`
 * (DynamoDB Local in tests and `npm start`), never from code.
 */
export interface Db {
  readonly doc: DynamoDBDocumentClient;
  readonly tableName: string;
}

export function createDb(tableName: string, client: DynamoDBClient = new DynamoDBClient({})): Db {
  return {
    tableName,
    doc: DynamoDBDocumentClient.from(client, {
      marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
    }),
  };
}

const shared = new Map<string, Db>();

/**
 * The Db for the table this function was deployed with (TABLE_NAME_ENV), built once per
 * table and endpoint: in Lambda that is once per container; in one local process that
 * starts several services, once per service.
 */
export function dbFromEnv(env: NodeJS.ProcessEnv = process.env): Db {
  const tableName = env[TABLE_NAME_ENV];
  if (!tableName) throw new Error(`environment variable ${TABLE_NAME_ENV} is not set`);
  const endpoint = env.AWS_ENDPOINT_URL_DYNAMODB ?? env.AWS_ENDPOINT_URL ?? '';
  const key = `${tableName}@${endpoint}`;
  let db = shared.get(key);
  if (!db) {
    db = createDb(tableName, new DynamoDBClient(endpoint ? { endpoint } : {}));
    shared.set(key, db);
  }
  return db;
}

/** The clock domain code reads, injectable so tests can freeze time. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
