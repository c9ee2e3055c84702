/**
 * Reading users: ReadUsers, ReadUser, FetchCurrentUser and the deprecated IDAM reads.
 * Plain functions over `{ db, organisationId }`: no Cognito, no audit, so that the read
 * handlers' bundles carry neither.
 */
import { BatchGetCommand, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type Db, dbFromEnv } from '@/lambdas/shared/db';
import { NotFoundError, ValidationError } from '@/lambdas/shared/errors';
import { isUuid, ORGANISATION_ID_ENV } from '@/lambdas/shared/ids';
import { ENTITY } from '@/lambdas/shared/keys';
import type { Caller } from '@/lambdas/shared/permissions';
import {
  AUTH_ORIGIN,
  type Item,
  parseUserItem,
  USER_STATUSES,
  type UserRecord,
  type UserStatus,
  userKey,
} from '@/lambdas/users/user-model';

export interface UserReadDeps {
  readonly db: Db;
  /** The installation's Stax OrganisationId (also its CustomerId). */
  readonly organisationId: string;
}

let readDeps: UserReadDeps | undefined;

/** The read dependencies from the function's environment, built on first use. */
export function userReadDepsFromEnv(env: NodeJS.ProcessEnv = process.env): UserReadDeps {
  readDeps ??= { db: dbFromEnv(env), organisationId: organisationIdFromEnv(env) };
  return readDeps;
}

export function organisationIdFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const value = env[ORGANISATION_ID_ENV];
  if (!value || !isUuid(value)) {
    throw new Error(
      `environment variable ${ORGANISATION_ID_ENV} must be the installation's OrganisationId (a UUID)`,
    );
  }
  return value;
}

/** The `user_id` path parameter, checked to be a UUID. */
export function userIdParameter(pathParameters: Readonly<Record<string, string>>, name = 'user_id'): string {
  const value = pathParameters[name];
  if (value === undefined || value === '') throw new ValidationError(name, 'is required: a user id (UUID)');
  if (!isUuid(value)) {
    throw new ValidationError(
      name,
      'must be a user id (a UUID such as 0f8fad5b-d9cb-469f-a165-70867728950e)',
    );
  }
  // Ids are stored in lower case, as randomUUID() makes them.
  return value.toLowerCase();
}

/** A user by id, whatever its status; undefined when there is none. */
export async function findUser(db: Db, id: string): Promise<UserRecord | undefined> {
  const { Item: item } = await db.doc.send(
    new GetCommand({ TableName: db.tableName, Key: userKey(id), ConsistentRead: true }),
  );
  return parseUserItem(item);
}

/** A user that exists and is not DELETED, or NotFoundError. */
export async function getLiveUser(db: Db, id: string): Promise<UserRecord> {
  const user = await findUser(db, id);
  if (!user || user.Status === 'DELETED') throw new NotFoundError('User', id);
  return user;
}

/** The caller as a user. API tokens are not users: FetchCurrentUser answers 404 for them. */
export async function currentUser(db: Db, caller: Caller): Promise<UserRecord> {
  if (caller.kind !== 'user') {
    throw new NotFoundError('User', caller.id);
  }
  return getLiveUser(db, caller.id);
}

// ---- ReadUsers -----------------------------------------------------------------------------

export type OriginFilter = 'Team' | 'Federated';

export interface UserFilters {
  readonly origins: ReadonlySet<OriginFilter>;
  readonly statuses: ReadonlySet<UserStatus>;
  /** Only these ids, when given. */
  readonly ids?: readonly string[];
}

/** The most ids one `id_filter` may name. */
export const MAX_ID_FILTER = 1000;

const DEFAULT_STATUSES: readonly UserStatus[] = ['ACTIVE', 'NEW', 'INVITED', 'DISABLED'];

function commaList(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

/** ReadUsers' query parameters, each checked; unknown values are a 400 naming the parameter. */
export function parseUserFilters(query: Readonly<Record<string, string>>): UserFilters {
  const origins = new Set<OriginFilter>();
  for (const value of commaList(query.filter)) {
    const known = (['Team', 'Federated'] as const).find(
      (origin) => origin.toLowerCase() === value.toLowerCase(),
    );
    if (!known)
      throw new ValidationError(
        'filter',
        `must be Team, Federated or both, comma separated (got ${JSON.stringify(value)})`,
      );
    origins.add(known);
  }
  if (origins.size === 0) origins.add('Team');

  const statuses = new Set<UserStatus>();
  for (const value of commaList(query.status_filter)) {
    const known = USER_STATUSES.find((status) => status === value.toUpperCase());
    if (!known) {
      throw new ValidationError(
        'status_filter',
        `must be a comma-separated list of ${USER_STATUSES.join(', ')} (got ${JSON.stringify(value)})`,
      );
    }
    statuses.add(known);
  }
  if (statuses.size === 0) for (const status of DEFAULT_STATUSES) statuses.add(status);

  const idValues = commaList(query.id_filter);
  for (const id of idValues) {
    if (!isUuid(id))
      throw new ValidationError(
        'id_filter',
        `must be a comma-separated list of user ids (UUIDs); ${JSON.stringify(id)} is not one`,
      );
  }
  if (idValues.length > MAX_ID_FILTER) {
    throw new ValidationError(
      'id_filter',
      `names ${idValues.length} ids; ask for at most ${MAX_ID_FILTER} at a time`,
    );
  }
  const ids = [...new Set(idValues.map((id) => id.toLowerCase()))];
  return { origins, statuses, ...(query.id_filter !== undefined && idValues.length > 0 && { ids }) };
}

function matches(user: UserRecord, filters: UserFilters): boolean {
  const origin: OriginFilter = user.AuthOrigin === AUTH_ORIGIN.local ? 'Team' : 'Federated';
  return filters.origins.has(origin) && filters.statuses.has(user.Status);
}

/** The users matching the filters, by email. One Query (paged) over GSI1, or BatchGets for an id filter. */
export async function listUsers(db: Db, filters: UserFilters): Promise<UserRecord[]> {
  const items = filters.ids ? await getUsers(db, filters.ids) : await queryAllUsers(db);
  return items
    .map((item) => parseUserItem(item))
    .filter((user): user is UserRecord => user !== undefined && matches(user, filters))
    .sort((a, b) => compare(a.Email.toLowerCase(), b.Email.toLowerCase()) || compare(a.Id, b.Id));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

async function queryAllUsers(db: Db): Promise<Item[]> {
  const items: Item[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await db.doc.send(
      new QueryCommand({
        TableName: db.tableName,
        IndexName: 'GSI1',
        KeyConditionExpression: 'GSI1PK = :kind',
        ExpressionAttributeValues: { ':kind': ENTITY.user },
        ExclusiveStartKey: startKey,
      }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

async function getUsers(db: Db, ids: readonly string[]): Promise<Item[]> {
  const chunks: string[][] = [];
  for (let start = 0; start < ids.length; start += 100) chunks.push(ids.slice(start, start + 100));
  const pages = await Promise.all(chunks.map((chunk) => batchGet(db, chunk.map(userKey))));
  return pages.flat();
}

async function batchGet(db: Db, keys: ReadonlyArray<{ PK: string; SK: string }>): Promise<Item[]> {
  const items: Item[] = [];
  let pending: Array<Record<string, unknown>> = [...keys];
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt > 8) throw new Error('BatchGetItem left keys unprocessed after 8 retries');
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 25 * 2 ** attempt)));
    const response = await db.doc.send(
      new BatchGetCommand({ RequestItems: { [db.tableName]: { Keys: pending, ConsistentRead: true } } }),
    );
    items.push(...(response.Responses?.[db.tableName] ?? []));
    pending = response.UnprocessedKeys?.[db.tableName]?.Keys ?? [];
  }
  return items;
}

/** IDAM users: the installation's local (Cognito pool) users that are not deleted, by email. */
export async function listIdamUsers(db: Db): Promise<UserRecord[]> {
  return listUsers(db, {
    origins: new Set<OriginFilter>(['Team']),
    statuses: new Set<UserStatus>(DEFAULT_STATUSES),
  });
}
