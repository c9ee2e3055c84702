/**
 * The whole service on this machine: DynamoDB Local persisted under `$STAXID_HOME/dynamodb`,
 * the staxid table, and the handlers of the route table behind the local API Gateway.
 * `local/main.ts` is the CLI around it; tests start and stop it in-process.
 */

import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { RouteDefinition } from '@/lambdas/routes';
import { TABLE_NAME_ENV } from '@/lambdas/shared/constants';
import {
  type ApiLogger,
  type ApiServer,
  type Authorizer,
  type HandlerLoader,
  REPO_ROOT,
  startApiServer,
} from '@/local/api-gateway-adapter';
import { type DynamoDbLocal, startDynamoDbLocal } from '@/local/dynamodb-local';
import { ensureTable } from '@/local/table';

export const DEFAULT_PORT = 3000;
export const DEFAULT_REGION = 'us-east-1';
export const DEFAULT_TABLE_NAME = 'staxid';
const HOST = '127.0.0.1';

export interface LocalServiceOptions {
  /** State directory (`STAXID_HOME`); created when missing. */
  readonly home: string;
  /**
   * Port of the API on 127.0.0.1; 0 picks a free one (`port` on the result says which).
   * @default 3000
   */
  readonly port?: number;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** @default 'staxid' */
  readonly tableName?: string;
  /** @default console */
  readonly logger?: ApiLogger;
  /** @default ROUTES */
  readonly routes?: readonly RouteDefinition[];
  /** @default imports each route's handler file */
  readonly loadHandler?: HandlerLoader;
  /** @default every bearer route answers 401 (no local authorizer yet) */
  readonly authorize?: Authorizer;
}

/** `$STAXID_HOME/local.json`: where the running service can be reached. */
export interface LocalEndpoints {
  readonly api: string;
  readonly region: string;
  readonly dynamodb: string;
  readonly tableName: string;
}

export interface LocalService {
  readonly url: string;
  readonly port: number;
  readonly home: string;
  readonly endpoints: LocalEndpoints;
  readonly dynamodb: DynamoDbLocal;
  /** Closes the API, stops DynamoDB Local by its PID, removes local.json and restores the environment. */
  stop(): Promise<void>;
}

/** The version in package.json, reported by GET /health and GET /openapi.json. */
export function packageVersion(): string {
  const pkg: unknown = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'));
  const version =
    typeof pkg === 'object' && pkg !== null ? (pkg as { version?: unknown }).version : undefined;
  return typeof version === 'string' ? version : '0.0.0-dev';
}

export async function startLocalService(options: LocalServiceOptions): Promise<LocalService> {
  const home = resolve(options.home);
  const region = options.region ?? DEFAULT_REGION;
  const tableName = options.tableName ?? DEFAULT_TABLE_NAME;
  const logger = options.logger ?? console;
  mkdirSync(home, { recursive: true });

  const dynamodb = await startDynamoDbLocal({
    dbPath: join(home, 'dynamodb'),
    log: (message) => logger.info(message),
  });
  let restoreEnv = (): void => {};
  let api: ApiServer | undefined;
  try {
    const client = new DynamoDBClient({
      endpoint: dynamodb.endpoint,
      region,
      credentials: LOCAL_CREDENTIALS,
    });
    try {
      await ensureTable(client, tableName);
    } finally {
      client.destroy();
    }
    // The handlers run in this process and read their configuration from the environment at load
    // time, as in Lambda: set it before the first request loads them.
    restoreEnv = applyEnvironment(handlerEnvironment({ region, tableName, dynamodb: dynamodb.endpoint }));
    api = await startApiServer({
      port: options.port ?? DEFAULT_PORT,
      host: HOST,
      logger,
      ...(options.routes && { routes: options.routes }),
      ...(options.loadHandler && { loadHandler: options.loadHandler }),
      ...(options.authorize && { authorize: options.authorize }),
    });
  } catch (error) {
    restoreEnv();
    await dynamodb.stop();
    throw error;
  }

  const endpoints: LocalEndpoints = { api: api.url, region, dynamodb: dynamodb.endpoint, tableName };
  const localJson = join(home, 'local.json');
  writeFileAtomically(localJson, `${JSON.stringify(endpoints, null, 2)}\n`);

  const server = api;
  let stopping: Promise<void> | undefined;
  return {
    url: api.url,
    port: api.port,
    home,
    endpoints,
    dynamodb,
    stop: () => {
      stopping ??= (async () => {
        rmSync(localJson, { force: true });
        try {
          await server.close();
        } finally {
          restoreEnv();
          await dynamodb.stop();
        }
      })();
      return stopping;
    },
  };
}

/** Nothing local needs real credentials, and nothing may reach AWS with the user's. */
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** The environment the handlers see, as the Identity stack sets it on their Lambda functions. */
export function handlerEnvironment(input: {
  region: string;
  tableName: string;
  dynamodb: string;
}): Record<string, string | undefined> {
  return {
    STAXID_VERSION: packageVersion(),
    [TABLE_NAME_ENV]: input.tableName,
    AWS_REGION: input.region,
    AWS_DEFAULT_REGION: input.region,
    // Every DynamoDB client built without an explicit endpoint goes to DynamoDB Local (SDK v3 reads this).
    AWS_ENDPOINT_URL_DYNAMODB: input.dynamodb,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_SESSION_TOKEN: undefined,
    AWS_PROFILE: undefined,
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

/** Sets (or, for `undefined`, unsets) variables in process.env; returns a function that puts them back. */
function applyEnvironment(values: Record<string, string | undefined>): () => void {
  const previous = Object.fromEntries(Object.keys(values).map((name) => [name, process.env[name]]));
  const set = (entries: Record<string, string | undefined>): void => {
    for (const [name, value] of Object.entries(entries)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  set(values);
  return () => set(previous);
}

function writeFileAtomically(file: string, content: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, content);
  renameSync(temporary, file);
}
