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

let shared: Db | undefined;

/** The Db for the table this function was deployed with (TABLE_NAME_ENV). */
export function dbFromEnv(env: NodeJS.ProcessEnv = process.env): Db {
  if (shared) return shared;
  const tableName = env[TABLE_NAME_ENV];
  if (!tableName) throw new Error(`environment variable ${TABLE_NAME_ENV} is not set`);
  shared = createDb(tableName);
  return shared;
}

/** The clock domain code reads, injectable so tests can freeze time. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
