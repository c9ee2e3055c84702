import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  GetCommand,
  paginateQuery,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { type AuditActor, type AuditSink, auditEvent } from '@/lambdas/shared/audit';
import type { Clock, Db } from '@/lambdas/shared/db';
import {
  ConcurrentModificationError,
  ConflictError,
  ForbiddenError,
  InvalidStateError,
  NotFoundError,
  ValidationError,
} from '@/lambdas/shared/errors';
import { isUuid, newId } from '@/lambdas/shared/ids';
import { ENTITY, entityKey, listing, uniqueKey } from '@/lambdas/shared/keys';
import type { Caller } from '@/lambdas/shared/permissions';
import { type ApiRole, isApiRole, mayGrant } from '@/lambdas/shared/roles';
import { newSecretKey, SECRET_KEY_LENGTH, type SecretHasher } from '@/lambdas/shared/secrets';
import { assertValidTags } from '@/lambdas/shared/tags';

/**
 * API tokens (teams.*ApiToken*): credentials for CI and scripts. A token is an AccessKey
 * (uuid) and a SecretKey (32 random characters) that is returned once, by CreateApiToken,
 * and stored only as a keyed hash. The token exchanges them at `POST /oauth2/token` for a
 * short-lived JWT. Deleting a token is final (Status DELETED, the hash removed): the
 * authorizer refuses its JWTs from then on.
 *
 * Every change writes its audit event first and then commits in one transaction; a change
 * whose commit fails is followed by a FAILURE event.
 */

export type ApiTokenStatus = 'ACTIVE' | 'DELETED';
const STATUSES: readonly ApiTokenStatus[] = ['ACTIVE', 'DELETED'];

/** An API token as the API returns it: never the secret or its hash. */
export interface ApiToken {
  readonly AccessKey: string;
  readonly Name: string;
  readonly Description: string;
  readonly Role: ApiRole;
  readonly Status: ApiTokenStatus;
  readonly Tags?: Readonly<Record<string, string>>;
  readonly CreatedBy?: string;
  readonly CreatedTS: string;
  readonly ModifiedTS: string;
}

/** The token item in the table. */
export interface ApiTokenItem extends ApiToken {
  readonly PK: string;
  readonly SK: string;
  readonly GSI1PK: string;
  readonly GSI1SK: string;
  /** `v1.<HMAC>` of the SecretKey; removed when the token is deleted. */
  readonly SecretHash?: string;
  /** Incremented by every change; updates are conditional on it (no lost update). */
  readonly Version: number;
}

/** teams.CreateApiToken: already validated against the spec's schema. */
export interface CreateApiTokenBody {
  readonly Name: string;
  readonly Role: ApiRole;
  readonly Description?: string;
  readonly Tags?: Readonly<Record<string, string>> | null;
  /** Stax stores the keys in SSM; staxid never stores a secret it can read back, so both are ignored. */
  readonly StoreToken?: boolean;
  readonly TokenKeyId?: string;
}

/** teams.UpdateApiToken: already validated against the spec's schema. */
export interface UpdateApiTokenBody {
  readonly Description?: string;
  readonly Role?: ApiRole;
  readonly Tags?: Readonly<Record<string, string>> | null;
}

export interface ApiTokenFilter {
  /** AccessKeys to return (`id_filter`); all when absent. */
  readonly ids?: readonly string[];
  /** @default ['ACTIVE'] */
  readonly statuses?: readonly ApiTokenStatus[];
}

export interface ApiTokenDependencies {
  readonly db: Db;
  readonly clock: Clock;
  readonly audit: AuditSink;
  readonly hasher: SecretHasher;
}

/** staxid itself, acting without a caller (the local bootstrap token). */
export interface SystemActor {
  readonly kind: 'system';
  readonly id: string;
}

/** Who asks for a change: an authenticated caller, or staxid itself. */
export type Actor = Caller | SystemActor;

/** An AccessKey and SecretKey pair for a new token. */
export interface NewCredentials {
  readonly accessKey: string;
  readonly secretKey: string;
}

/** At most this many AccessKeys in one `id_filter`. */
export const MAX_ID_FILTER = 100;

const AUDIT_TARGET = 'api-token';

export class ApiTokenService {
  constructor(private readonly deps: ApiTokenDependencies) {}

  /** teams.CreateApiToken: the new token, and its SecretKey (shown this once). */
  async create(
    caller: Caller,
    body: CreateApiTokenBody,
    requestId?: string,
  ): Promise<{ token: ApiToken; secretKey: string }> {
    assertMayGrant(caller, body.Role);
    return this.insert(caller, body, { accessKey: newId(), secretKey: newSecretKey() }, requestId);
  }

  /**
   * Creates a token for staxid itself with credentials it generated beforehand (the local
   * bootstrap token, whose file is written before the token exists).
   */
  async createForSystem(
    actor: SystemActor,
    body: CreateApiTokenBody,
    credentials: NewCredentials,
  ): Promise<{ token: ApiToken; secretKey: string }> {
    return this.insert(actor, body, credentials);
  }

  private async insert(
    actor: Actor,
    body: CreateApiTokenBody,
    { accessKey, secretKey }: NewCredentials,
    requestId?: string,
  ): Promise<{ token: ApiToken; secretKey: string }> {
    if (!isUuid(accessKey) || secretKey.length !== SECRET_KEY_LENGTH) {
      throw new Error('an API token needs a UUID AccessKey and a SecretKey of 32 characters');
    }
    assertValidTags(body.Tags);
    const { db, clock, audit, hasher } = this.deps;
    const now = clock.now();
    const timestamp = now.toISOString();
    const item: ApiTokenItem = {
      ...entityKey(ENTITY.apiToken, accessKey),
      ...listing(ENTITY.apiToken, timestamp),
      AccessKey: accessKey,
      Name: body.Name,
      Description: body.Description ?? '',
      Role: body.Role,
      Status: 'ACTIVE',
      ...(body.Tags && { Tags: body.Tags }),
      ...(actor.kind !== 'system' && isUuid(actor.id) && { CreatedBy: actor.id }),
      CreatedTS: timestamp,
      ModifiedTS: timestamp,
      SecretHash: await hasher.hash(secretKey),
      Version: 1,
    };
    const operation = 'teams.CreateApiToken';
    await audit.write(
      auditEvent({
        type: operation,
        actor: auditActor(actor),
        targets: [target(item)],
        detail: { Role: item.Role },
        requestId,
        time: now,
      }),
    );
    await this.commit(operation, actor, item, requestId, {
      TransactItems: [
        { Put: { TableName: db.tableName, Item: item, ConditionExpression: 'attribute_not_exists(PK)' } },
        {
          Put: {
            TableName: db.tableName,
            Item: { ...uniqueKey('APITOKENNAME', body.Name), AccessKey: accessKey },
            ConditionExpression: 'attribute_not_exists(PK)',
          },
        },
      ],
    });
    return { token: view(item), secretKey };
  }

  /** teams.ReadApiTokens: oldest first. */
  async list(filter: ApiTokenFilter = {}): Promise<ApiToken[]> {
    const statuses = new Set(filter.statuses ?? ['ACTIVE']);
    const items = filter.ids ? await this.getMany(filter.ids) : await this.queryAll();
    return items.filter((item) => statuses.has(item.Status)).map(view);
  }

  /** teams.ReadApiToken: 404 when unknown or not in `filter`. */
  async get(accessKey: string, filter: ApiTokenFilter = {}): Promise<ApiToken> {
    const item = await this.item(accessKey);
    const statuses = new Set(filter.statuses ?? ['ACTIVE']);
    if (!statuses.has(item.Status) || (filter.ids && !filter.ids.includes(item.AccessKey))) {
      throw new NotFoundError('API token', accessKey);
    }
    return view(item);
  }

  /** teams.UpdateApiToken: Description, Role, Tags (null removes them). */
  async update(caller: Caller, accessKey: string, body: UpdateApiTokenBody, requestId?: string) {
    assertValidTags(body.Tags);
    const current = await this.item(accessKey);
    if (current.Status !== 'ACTIVE') {
      throw new InvalidStateError(`API token ${JSON.stringify(accessKey)} is deleted: create a new token`);
    }
    assertMayGrant(caller, current.Role);
    if (body.Role !== undefined) assertMayGrant(caller, body.Role);
    const changes: Record<string, unknown> = {};
    if (body.Description !== undefined && body.Description !== current.Description)
      changes.Description = body.Description;
    if (body.Role !== undefined && body.Role !== current.Role) changes.Role = body.Role;
    const removeTags = body.Tags === null && current.Tags !== undefined;
    if (body.Tags && JSON.stringify(body.Tags) !== JSON.stringify(current.Tags ?? null))
      changes.Tags = body.Tags;
    if (Object.keys(changes).length === 0 && !removeTags) return view(current);

    const now = this.deps.clock.now();
    const { Tags: _tags, ...untagged } = current;
    const updated: ApiTokenItem = {
      ...(removeTags ? untagged : current),
      ...changes,
      ModifiedTS: now.toISOString(),
      Version: current.Version + 1,
    };
    const operation = 'teams.UpdateApiToken';
    await this.deps.audit.write(
      auditEvent({
        type: operation,
        actor: caller,
        targets: [target(updated)],
        detail: { changed: [...Object.keys(changes), ...(removeTags ? ['Tags'] : [])].sort() },
        requestId,
        time: now,
      }),
    );
    await this.commit(operation, caller, updated, requestId, {
      TransactItems: [
        {
          Put: {
            TableName: this.deps.db.tableName,
            Item: updated,
            ConditionExpression: '#version = :version AND #status = :active',
            ExpressionAttributeNames: { '#version': 'Version', '#status': 'Status' },
            ExpressionAttributeValues: { ':version': current.Version, ':active': 'ACTIVE' },
          },
        },
      ],
    });
    return view(updated);
  }

  /** teams.DeleteApiToken: Status DELETED, the secret's hash and the name's guard removed. */
  async delete(caller: Caller, accessKey: string, requestId?: string): Promise<ApiToken> {
    const current = await this.item(accessKey);
    if (current.Status !== 'ACTIVE') {
      throw new InvalidStateError(`API token ${JSON.stringify(accessKey)} is already deleted`);
    }
    assertMayGrant(caller, current.Role);
    const now = this.deps.clock.now();
    const { SecretHash: _hash, ...rest } = current;
    const deleted: ApiTokenItem = {
      ...rest,
      Status: 'DELETED',
      ModifiedTS: now.toISOString(),
      Version: current.Version + 1,
    };
    const operation = 'teams.DeleteApiToken';
    await this.deps.audit.write(
      auditEvent({ type: operation, actor: caller, targets: [target(deleted)], requestId, time: now }),
    );
    const { tableName } = this.deps.db;
    await this.commit(operation, caller, deleted, requestId, {
      TransactItems: [
        {
          Put: {
            TableName: tableName,
            Item: deleted,
            ConditionExpression: '#version = :version',
            ExpressionAttributeNames: { '#version': 'Version' },
            ExpressionAttributeValues: { ':version': current.Version },
          },
        },
        {
          // The name may be used again; the guard is removed only if it is this token's.
          Delete: {
            TableName: tableName,
            Key: uniqueKey('APITOKENNAME', current.Name),
            ConditionExpression: 'attribute_not_exists(PK) OR AccessKey = :accessKey',
            ExpressionAttributeValues: { ':accessKey': accessKey },
          },
        },
      ],
    });
    return view(deleted);
  }

  /** Whether any API token (of any status) exists: one Query of one item. */
  async anyExists(): Promise<boolean> {
    const { db } = this.deps;
    const { Items } = await db.doc.send(
      new QueryCommand({
        TableName: db.tableName,
        IndexName: 'GSI1',
        KeyConditionExpression: 'GSI1PK = :kind',
        ExpressionAttributeValues: { ':kind': ENTITY.apiToken },
        Limit: 1,
      }),
    );
    return (Items ?? []).length > 0;
  }

  private async item(accessKey: string): Promise<ApiTokenItem> {
    if (!isUuid(accessKey)) {
      throw new ValidationError('AccessKey', 'must be a UUID, the AccessKey CreateApiToken returned');
    }
    const { db } = this.deps;
    const { Item } = await db.doc.send(
      new GetCommand({
        TableName: db.tableName,
        Key: entityKey(ENTITY.apiToken, accessKey),
        ConsistentRead: true,
      }),
    );
    if (!isTokenItem(Item)) throw new NotFoundError('API token', accessKey);
    return Item;
  }

  private async getMany(ids: readonly string[]): Promise<ApiTokenItem[]> {
    const { db } = this.deps;
    const found = new Map<string, ApiTokenItem>();
    let pending = [...new Set(ids)].map((id) => entityKey(ENTITY.apiToken, id));
    for (let attempt = 0; pending.length > 0; attempt += 1) {
      if (attempt > 0) await delay(Math.min(1000, 50 * 2 ** attempt));
      const batch = pending.slice(0, 100);
      const { Responses, UnprocessedKeys } = await db.doc.send(
        new BatchGetCommand({ RequestItems: { [db.tableName]: { Keys: batch } } }),
      );
      for (const item of Responses?.[db.tableName] ?? []) {
        if (isTokenItem(item)) found.set(item.AccessKey, item);
      }
      const unprocessed = UnprocessedKeys?.[db.tableName]?.Keys ?? [];
      pending = [
        ...unprocessed.map((key) => ({ PK: String(key.PK), SK: String(key.SK) })),
        ...pending.slice(100),
      ];
      if (attempt > 10) throw new Error('BatchGetItem kept returning unprocessed keys');
    }
    return [...found.values()].sort((a, b) => a.GSI1SK.localeCompare(b.GSI1SK));
  }

  private async queryAll(): Promise<ApiTokenItem[]> {
    const { db } = this.deps;
    const items: ApiTokenItem[] = [];
    for await (const page of paginateQuery(
      { client: db.doc },
      {
        TableName: db.tableName,
        IndexName: 'GSI1',
        KeyConditionExpression: 'GSI1PK = :kind',
        ExpressionAttributeValues: { ':kind': ENTITY.apiToken },
      },
    )) {
      for (const item of page.Items ?? []) if (isTokenItem(item)) items.push(item);
    }
    return items;
  }

  /** Runs the transaction; on failure records a FAILURE event for the change already audited. */
  private async commit(
    operation: string,
    actor: Actor,
    item: ApiTokenItem,
    requestId: string | undefined,
    input: TransactWriteCommandInput,
  ): Promise<void> {
    try {
      await this.deps.db.doc.send(new TransactWriteCommand(input));
    } catch (error) {
      const reasons =
        error instanceof TransactionCanceledException
          ? (error.CancellationReasons ?? []).map((reason) => reason.Code ?? 'None')
          : [];
      await this.deps.audit
        .write(
          auditEvent({
            type: operation,
            actor: auditActor(actor),
            targets: [target(item)],
            outcome: 'FAILURE',
            detail: { reason: reasons.length > 0 ? `transaction cancelled: ${reasons.join(', ')}` : 'error' },
            requestId,
            time: this.deps.clock.now(),
          }),
        )
        .catch(() => {
          // The change did not happen either way; the original error says why.
        });
      if (operation === 'teams.CreateApiToken' && reasons[1] === 'ConditionalCheckFailed') {
        throw new ConflictError(
          `An API token named ${JSON.stringify(item.Name)} already exists: choose another Name`,
        );
      }
      if (reasons.includes('ConditionalCheckFailed')) {
        throw new ConcurrentModificationError('API token', item.AccessKey);
      }
      throw error;
    }
  }
}

/** Parses `id_filter` and `status` query parameters (comma-separated lists). */
export function filterFromQuery(query: Readonly<Record<string, string>>): ApiTokenFilter {
  const filter: { ids?: string[]; statuses?: ApiTokenStatus[] } = {};
  const idFilter = query.id_filter;
  if (idFilter !== undefined) {
    const ids = splitList(idFilter);
    const bad = ids.find((id) => !isUuid(id));
    if (bad !== undefined || ids.length === 0) {
      throw new ValidationError('id_filter', 'must be a comma-separated list of AccessKeys (UUIDs)');
    }
    if (ids.length > MAX_ID_FILTER) {
      throw new ValidationError('id_filter', `must name at most ${MAX_ID_FILTER} AccessKeys`);
    }
    filter.ids = ids;
  }
  const status = query.status;
  if (status !== undefined) {
    const statuses = splitList(status.toUpperCase());
    if (statuses.length === 0 || statuses.some((value) => !STATUSES.includes(value as ApiTokenStatus))) {
      throw new ValidationError('status', `must be a comma-separated list of ${STATUSES.join(', ')}`);
    }
    filter.statuses = statuses as ApiTokenStatus[];
  }
  return filter;
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

function assertMayGrant(caller: Caller, role: ApiRole): void {
  if (!mayGrant(caller.role, role)) {
    throw new ForbiddenError(
      `Your role ${caller.role} may not manage an API token with role ${role}: it is above your own`,
    );
  }
}

function auditActor(actor: Actor): Caller | AuditActor {
  return actor.kind === 'system' ? { type: 'system', id: actor.id } : actor;
}

function target(item: ApiToken) {
  return { type: AUDIT_TARGET, id: item.AccessKey, name: item.Name };
}

function view(item: ApiTokenItem): ApiToken {
  return {
    AccessKey: item.AccessKey,
    Name: item.Name,
    Description: item.Description,
    Role: item.Role,
    Status: item.Status,
    ...(item.Tags && { Tags: item.Tags }),
    ...(item.CreatedBy && { CreatedBy: item.CreatedBy }),
    CreatedTS: item.CreatedTS,
    ModifiedTS: item.ModifiedTS,
  };
}

function isTokenItem(value: unknown): value is ApiTokenItem {
  if (typeof value !== 'object' || value === null) return false;
  const item = value as Record<string, unknown>;
  return (
    typeof item.AccessKey === 'string' &&
    typeof item.Name === 'string' &&
    typeof item.Role === 'string' &&
    isApiRole(item.Role) &&
    (item.Status === 'ACTIVE' || item.Status === 'DELETED') &&
    typeof item.Version === 'number'
  );
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
