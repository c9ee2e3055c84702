import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { AuditWriteError, MemoryAuditSink } from '@/lambdas/shared/audit';
import { LOCAL_KEYS_DIR_ENV, TABLE_NAME_ENV } from '@/lambdas/shared/constants';
import { createDb, type Db } from '@/lambdas/shared/db';
import {
  ConcurrentModificationError,
  ConflictError,
  ForbiddenError,
  InvalidStateError,
  NotFoundError,
  ValidationError,
} from '@/lambdas/shared/errors';
import { ENTITY, entityKey, uniqueKey } from '@/lambdas/shared/keys';
import type { Caller } from '@/lambdas/shared/permissions';
import { hmacSecretHasher, secretMatches } from '@/lambdas/shared/secrets';
import { schemaErrors } from '@/lambdas/shared/spec-schemas';
import { type ApiToken, ApiTokenService, filterFromQuery } from '@/lambdas/tokens/api-tokens';
import { handler as createHandler } from '@/lambdas/tokens/create-api-token';
import { handler as deleteHandler } from '@/lambdas/tokens/delete-api-token';
import { handler as readOneHandler } from '@/lambdas/tokens/read-api-token';
import { handler as readHandler } from '@/lambdas/tokens/read-api-tokens';
import { handler as updateHandler } from '@/lambdas/tokens/update-api-token';
import { ADMIN, API_ADMIN, invoke, READONLY, USER } from '@/test/support/api-event';
import { outboxEvents } from '@/test/support/audit-outbox';
import { createTestTable, type TestTable } from '@/test/support/dynamodb';

const NOW = new Date('2026-01-01T00:00:00.000Z');
const clock = { now: () => NOW };
const hasher = hmacSecretHasher(Buffer.alloc(32, 9));
const API_USER: Caller = { kind: 'token', id: '00000000-0000-4000-8000-000000000005', role: 'api_user' };
const UNKNOWN = '99999999-0000-4000-8000-000000000000';

let table: TestTable;
let db: Db;
let home: string;
const savedEnv = { ...process.env };

beforeAll(async () => {
  table = await createTestTable();
  db = createDb(table.tableName, table.client);
  home = mkdtempSync(join(tmpdir(), 'staxid-tokens-'));
  // The handlers build their dependencies from the environment, as in Lambda.
  process.env[TABLE_NAME_ENV] = table.tableName;
  process.env[LOCAL_KEYS_DIR_ENV] = join(home, 'keys');
});
afterAll(async () => {
  process.env = savedEnv;
  rmSync(home, { recursive: true, force: true });
  await table.drop();
});

function service(audit = new MemoryAuditSink()) {
  return { tokens: new ApiTokenService({ db, clock, audit, hasher }), audit };
}

let counter = 0;
/** A name no other test uses. */
function uniqueName(prefix = 'ci'): string {
  counter += 1;
  return `${prefix}-${counter}-${Date.now().toString(36)}`;
}

/**
 * The test table through a client whose first `parties` GetItems each wait until all of
 * them have been answered, so that many parallel callers have all read before any writes.
 */
function readsMeetFirst(parties: number): Db {
  let arrived = 0;
  let answered = 0;
  let release = () => {};
  const allRead = new Promise<void>((resolve) => {
    release = resolve;
  });
  const send = (async (command: unknown, ...rest: unknown[]) => {
    if (!(command instanceof GetCommand) || arrived >= parties) {
      return (db.doc.send as (...args: unknown[]) => Promise<unknown>)(command, ...rest);
    }
    arrived += 1;
    const output = await db.doc.send(command);
    answered += 1;
    if (answered === parties) release();
    await allRead;
    return output;
  }) as Db['doc']['send'];
  return { tableName: db.tableName, doc: Object.assign(Object.create(db.doc), { send }) };
}

async function rawItem(accessKey: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await table.doc.send(
    new GetCommand({
      TableName: table.tableName,
      Key: entityKey(ENTITY.apiToken, accessKey),
      ConsistentRead: true,
    }),
  );
  return Item;
}

async function tokenItemCount(): Promise<number> {
  const { Count } = await table.doc.send(
    new QueryCommand({
      TableName: table.tableName,
      IndexName: 'GSI1',
      KeyConditionExpression: 'GSI1PK = :kind',
      ExpressionAttributeValues: { ':kind': ENTITY.apiToken },
      Select: 'COUNT',
    }),
  );
  return Count ?? 0;
}

describe('ApiTokenService.create', () => {
  test('returns the token and its secret once, stores only a keyed hash, audits the change', async () => {
    const { tokens, audit } = service();
    const name = uniqueName('gitlab');
    const { token, secretKey } = await tokens.create(
      ADMIN,
      { Name: name, Role: 'api_user', Description: 'deploys', Tags: { CostCode: '12345' } },
      'req-1',
    );
    expect(secretKey).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(token).toEqual({
      AccessKey: expect.stringMatching(/^[0-9a-f-]{36}$/),
      Name: name,
      Description: 'deploys',
      Role: 'api_user',
      Status: 'ACTIVE',
      Tags: { CostCode: '12345' },
      CreatedBy: ADMIN.id,
      CreatedTS: NOW.toISOString(),
      ModifiedTS: NOW.toISOString(),
    });
    expect(
      schemaErrors('teams.CreateApiTokenResponse', { ApiTokens: [{ ...token, SecretKey: secretKey }] }),
    ).toEqual([]);

    const item = await rawItem(token.AccessKey);
    expect(JSON.stringify(item)).not.toContain(secretKey);
    await expect(secretMatches(hasher, secretKey, String(item?.SecretHash))).resolves.toBe(true);

    expect(audit.events).toEqual([
      expect.objectContaining({
        staxEventType: 'teams.CreateApiToken',
        outcome: 'SUCCESS',
        actor: { type: 'user', id: ADMIN.id, role: 'customer_admin' },
        target: [{ type: 'api-token', id: token.AccessKey, name }],
        meta: expect.objectContaining({ requestId: 'req-1' }),
      }),
    ]);
    expect(JSON.stringify(audit.events)).not.toContain(secretKey);
  });

  test('refuses a role above the caller’s own with 403, writing nothing', async () => {
    const { tokens, audit } = service();
    const before = await tokenItemCount();
    await expect(tokens.create(API_USER, { Name: uniqueName(), Role: 'api_admin' })).rejects.toThrow(
      new ForbiddenError(
        'Your role api_user may not manage an API token with role api_admin: it is above your own',
      ),
    );
    expect(await tokenItemCount()).toBe(before);
    expect(audit.events).toEqual([]);
  });

  test('refuses a name already taken (409) and records the failed change', async () => {
    const { tokens, audit } = service();
    const name = uniqueName('dup');
    await tokens.create(ADMIN, { Name: name, Role: 'api_readonly' });
    const before = await tokenItemCount();
    await expect(tokens.create(ADMIN, { Name: name.toUpperCase(), Role: 'api_readonly' })).rejects.toThrow(
      new ConflictError(
        `An API token named ${JSON.stringify(name.toUpperCase())} already exists: choose another Name`,
      ),
    );
    expect(await tokenItemCount()).toBe(before);
    expect(audit.events.map((event) => event.outcome)).toEqual(['SUCCESS', 'SUCCESS', 'FAILURE']);
    expect(audit.events[2]?.detail).toEqual({
      reason: 'transaction cancelled: None, ConditionalCheckFailed',
    });
  });

  test('two parallel creates of one name: exactly one succeeds', async () => {
    const { tokens } = service();
    const name = uniqueName('race');
    const results = await Promise.allSettled([
      tokens.create(ADMIN, { Name: name, Role: 'api_user' }),
      tokens.create(ADMIN, { Name: name, Role: 'api_user' }),
    ]);
    expect(results.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
  });

  test('without an audit event there is no change', async () => {
    const audit = new MemoryAuditSink();
    audit.failWith = new Error('bucket unreachable');
    const { tokens } = service(audit);
    const name = uniqueName('unaudited');
    const before = await tokenItemCount();
    await expect(tokens.create(ADMIN, { Name: name, Role: 'api_user' })).rejects.toBeInstanceOf(
      AuditWriteError,
    );
    expect(await tokenItemCount()).toBe(before);
    const { Item: guard } = await table.doc.send(
      new GetCommand({ TableName: table.tableName, Key: uniqueKey('APITOKENNAME', name) }),
    );
    expect(guard).toBeUndefined();
  });
});

describe('ApiTokenService reads', () => {
  let active: ApiToken;
  let deleted: ApiToken;

  beforeAll(async () => {
    const { tokens } = service();
    active = (await tokens.create(ADMIN, { Name: uniqueName('read'), Role: 'api_readonly' })).token;
    deleted = (await tokens.create(ADMIN, { Name: uniqueName('gone'), Role: 'api_readonly' })).token;
    await tokens.delete(ADMIN, deleted.AccessKey);
  });

  test('lists ACTIVE tokens by default, DELETED ones only when asked, never a hash', async () => {
    const { tokens } = service();
    const activeOnly = await tokens.list();
    expect(activeOnly.map((token) => token.AccessKey)).toContain(active.AccessKey);
    expect(activeOnly.map((token) => token.AccessKey)).not.toContain(deleted.AccessKey);
    const both = await tokens.list({ statuses: ['ACTIVE', 'DELETED'] });
    expect(both.map((token) => token.AccessKey)).toEqual(
      expect.arrayContaining([active.AccessKey, deleted.AccessKey]),
    );
    expect(schemaErrors('teams.ReadApiTokens', { ApiTokens: both })).toEqual([]);
    expect(JSON.stringify(both)).not.toMatch(/SecretHash|SecretKey|v1\./);
  });

  test('filters by AccessKey', async () => {
    const { tokens } = service();
    const found = await tokens.list({ ids: [active.AccessKey, deleted.AccessKey, UNKNOWN] });
    expect(found.map((token) => token.AccessKey)).toEqual([active.AccessKey]);
    const deletedToo = await tokens.list({ ids: [deleted.AccessKey], statuses: ['DELETED'] });
    expect(deletedToo.map((token) => token.Status)).toEqual(['DELETED']);
  });

  test('reads one token; a DELETED one only with status=DELETED; 404 otherwise', async () => {
    const { tokens } = service();
    await expect(tokens.get(active.AccessKey)).resolves.toEqual(active);
    await expect(tokens.get(deleted.AccessKey)).rejects.toThrow(
      new NotFoundError('API token', deleted.AccessKey),
    );
    await expect(tokens.get(deleted.AccessKey, { statuses: ['DELETED'] })).resolves.toMatchObject({
      Status: 'DELETED',
    });
    await expect(tokens.get(UNKNOWN)).rejects.toThrow(new NotFoundError('API token', UNKNOWN));
    await expect(tokens.get('not-a-uuid')).rejects.toThrow(
      new ValidationError('AccessKey', 'must be a UUID, the AccessKey CreateApiToken returned'),
    );
  });
});

describe('filterFromQuery', () => {
  test('parses comma-separated AccessKeys and statuses', () => {
    expect(filterFromQuery({ id_filter: `${UNKNOWN}, ${ADMIN.id}`, status: 'active,DELETED' })).toEqual({
      ids: [UNKNOWN, ADMIN.id],
      statuses: ['ACTIVE', 'DELETED'],
    });
    expect(filterFromQuery({})).toEqual({});
  });

  test.each([
    [
      { id_filter: 'abc' },
      new ValidationError('id_filter', 'must be a comma-separated list of AccessKeys (UUIDs)'),
    ],
    [
      { id_filter: ',' },
      new ValidationError('id_filter', 'must be a comma-separated list of AccessKeys (UUIDs)'),
    ],
    [
      { id_filter: Array.from({ length: 101 }, () => UNKNOWN).join(',') },
      new ValidationError('id_filter', 'must name at most 100 AccessKeys'),
    ],
    [
      { status: 'ACTIVE,GONE' },
      new ValidationError('status', 'must be a comma-separated list of ACTIVE, DELETED'),
    ],
  ])('refuses %j', (query, error) => {
    expect(() => filterFromQuery(query)).toThrow(error);
  });
});

describe('ApiTokenService.update', () => {
  test('changes Description, Role and Tags; null removes the Tags', async () => {
    const { tokens, audit } = service();
    const { token } = await tokens.create(ADMIN, {
      Name: uniqueName('upd'),
      Role: 'api_readonly',
      Tags: { a: '1' },
    });
    const updated = await tokens.update(ADMIN, token.AccessKey, {
      Description: 'now a user token',
      Role: 'api_user',
      Tags: { b: '2' },
    });
    expect(updated).toMatchObject({ Description: 'now a user token', Role: 'api_user', Tags: { b: '2' } });
    expect(schemaErrors('teams.UpdateApiTokenResponse', { ApiTokens: [updated] })).toEqual([]);
    const untagged = await tokens.update(ADMIN, token.AccessKey, { Tags: null });
    expect(untagged.Tags).toBeUndefined();
    expect((await rawItem(token.AccessKey))?.Tags).toBeUndefined();
    expect(audit.events.slice(1).map((event) => event.detail)).toEqual([
      { changed: ['Description', 'Role', 'Tags'] },
      { changed: ['Tags'] },
    ]);
  });

  test('refuses to raise a token above the caller’s role, or to touch a token above it (403)', async () => {
    const { tokens } = service();
    const { token: low } = await tokens.create(ADMIN, { Name: uniqueName(), Role: 'api_readonly' });
    const { token: high } = await tokens.create(ADMIN, { Name: uniqueName(), Role: 'api_admin' });
    await expect(tokens.update(API_USER, low.AccessKey, { Role: 'api_admin' })).rejects.toBeInstanceOf(
      ForbiddenError,
    );
    await expect(tokens.update(USER, high.AccessKey, { Description: 'mine now' })).rejects.toBeInstanceOf(
      ForbiddenError,
    );
    await expect(tokens.get(low.AccessKey)).resolves.toMatchObject({ Role: 'api_readonly' });
  });

  test('two parallel updates: one wins, the other is told to retry (no lost update)', async () => {
    const { tokens } = service();
    const { token } = await tokens.create(ADMIN, { Name: uniqueName(), Role: 'api_readonly' });
    // Both read the token before either writes: the race the version condition guards, made
    // certain (left to the scheduler, the first update can finish before the second reads).
    const racing = new ApiTokenService({
      db: readsMeetFirst(2),
      clock,
      audit: new MemoryAuditSink(),
      hasher,
    });
    const results = await Promise.allSettled([
      racing.update(ADMIN, token.AccessKey, { Description: 'first writer' }),
      racing.update(ADMIN, token.AccessKey, { Description: 'second writer' }),
    ]);
    const fulfilled = results.filter((result) => result.status === 'fulfilled');
    const rejected = results.filter((result) => result.status === 'rejected');
    expect(fulfilled).toHaveLength(1);
    expect(rejected.map((result) => result.reason)).toEqual([
      new ConcurrentModificationError('API token', token.AccessKey),
    ]);
    const stored = await tokens.get(token.AccessKey);
    expect(stored.Description).toBe(
      fulfilled[0]?.status === 'fulfilled' ? fulfilled[0].value.Description : '',
    );
  });

  test('an empty update changes nothing and audits nothing', async () => {
    const { tokens, audit } = service();
    const { token } = await tokens.create(ADMIN, { Name: uniqueName(), Role: 'api_readonly' });
    await expect(tokens.update(ADMIN, token.AccessKey, {})).resolves.toEqual(token);
    expect(audit.events).toHaveLength(1);
  });
});

describe('ApiTokenService.delete', () => {
  test('marks the token DELETED, drops its hash, frees its name; deleting again is a 400', async () => {
    const { tokens, audit } = service();
    const name = uniqueName('del');
    const { token } = await tokens.create(ADMIN, { Name: name, Role: 'api_user' });
    const deleted = await tokens.delete(API_ADMIN, token.AccessKey, 'req-d');
    expect(deleted).toMatchObject({ AccessKey: token.AccessKey, Status: 'DELETED' });
    expect(schemaErrors('teams.DeleteApiTokenResponse', { ApiTokens: [deleted] })).toEqual([]);
    const item = await rawItem(token.AccessKey);
    expect(item).toMatchObject({ Status: 'DELETED' });
    expect(item).not.toHaveProperty('SecretHash');
    expect(audit.events[1]).toMatchObject({
      staxEventType: 'teams.DeleteApiToken',
      actor: { type: 'token', id: API_ADMIN.id },
    });
    await expect(tokens.delete(ADMIN, token.AccessKey)).rejects.toThrow(
      new InvalidStateError(`API token ${JSON.stringify(token.AccessKey)} is already deleted`),
    );
    await expect(tokens.update(ADMIN, token.AccessKey, { Description: 'back?' })).rejects.toBeInstanceOf(
      InvalidStateError,
    );
    await expect(tokens.create(ADMIN, { Name: name, Role: 'api_user' })).resolves.toBeDefined();
  });

  test('404 for an unknown token', async () => {
    const { tokens } = service();
    await expect(tokens.delete(ADMIN, UNKNOWN)).rejects.toThrow(new NotFoundError('API token', UNKNOWN));
  });
});

describe('handlers', () => {
  test('CreateApiToken → ReadApiTokens → ReadApiToken → UpdateApiToken → DeleteApiToken', async () => {
    const name = uniqueName('http');
    const created = await invoke(createHandler, {
      method: 'POST',
      caller: ADMIN,
      body: { Name: name, Role: 'api_user', StoreToken: false },
    });
    expect(created.status).toBe(200);
    expect(schemaErrors('teams.CreateApiTokenResponse', created.body)).toEqual([]);
    const { AccessKey: accessKey, SecretKey: secretKey } = (
      created.body as { ApiTokens: [ApiToken & { SecretKey: string }] }
    ).ApiTokens[0];
    expect(secretKey).toHaveLength(32);

    const list = await invoke(readHandler, { caller: READONLY, query: { id_filter: accessKey } });
    expect(list).toMatchObject({ status: 200, body: { ApiTokens: [{ AccessKey: accessKey, Name: name }] } });
    expect(schemaErrors('teams.ReadApiTokens', list.body)).toEqual([]);
    expect(JSON.stringify(list.body)).not.toContain(secretKey);

    const one = await invoke(readOneHandler, { caller: USER, pathParameters: { AccessKey: accessKey } });
    expect(one.status).toBe(200);
    expect(schemaErrors('teams.ReadApiTokens', one.body)).toEqual([]);

    const updated = await invoke(updateHandler, {
      method: 'PUT',
      caller: ADMIN,
      pathParameters: { AccessKey: accessKey },
      body: { Description: 'rotated weekly' },
    });
    expect(updated).toMatchObject({ status: 200, body: { ApiTokens: [{ Description: 'rotated weekly' }] } });
    expect(schemaErrors('teams.UpdateApiTokenResponse', updated.body)).toEqual([]);

    const deleted = await invoke(deleteHandler, {
      method: 'DELETE',
      caller: ADMIN,
      pathParameters: { AccessKey: accessKey },
    });
    expect(deleted).toMatchObject({ status: 200, body: { ApiTokens: [{ Status: 'DELETED' }] } });
    expect(schemaErrors('teams.DeleteApiTokenResponse', deleted.body)).toEqual([]);

    // Three changes, three audit events in the table's outbox; none carries the secret.
    const events = (await outboxEvents(table)).filter((event) =>
      event.target.some((target) => target.id === accessKey),
    );
    expect(events.map((event) => event.staxEventType)).toEqual([
      'teams.CreateApiToken',
      'teams.UpdateApiToken',
      'teams.DeleteApiToken',
    ]);
    expect(JSON.stringify(events)).not.toContain(secretKey);
  });

  test.each([
    ['a Read Only user creating', createHandler, READONLY, { Name: 'x-readonly', Role: 'api_readonly' }, 403],
    ['an API user creating', createHandler, API_USER, { Name: 'x-apiuser', Role: 'api_readonly' }, 403],
    ['an unknown field', createHandler, ADMIN, { Name: 'x-field', Role: 'api_user', Secret: 'x' }, 400],
    ['a name outside the pattern', createHandler, ADMIN, { Name: 'has space', Role: 'api_user' }, 400],
    ['a user role for a token', createHandler, ADMIN, { Name: 'x-role', Role: 'customer_admin' }, 400],
    ['no body', createHandler, ADMIN, undefined, 400],
  ])('answers %s with %i', async (_, handler, caller, body, status) => {
    const before = await tokenItemCount();
    const response = await invoke(handler, { method: 'POST', caller, body });
    expect(response.status).toBe(status);
    expect(schemaErrors('Error', response.body)).toEqual([]);
    expect(await tokenItemCount()).toBe(before);
  });

  test.each([
    [readOneHandler, 'GET'],
    [deleteHandler, 'DELETE'],
  ])('answers 404 for an unknown AccessKey and 400 for a malformed one (%#)', async (handler, method) => {
    const unknown = await invoke(handler, { method, caller: ADMIN, pathParameters: { AccessKey: UNKNOWN } });
    expect(unknown).toEqual({
      status: 404,
      body: { Error: `API token ${JSON.stringify(UNKNOWN)} not found` },
      headers: expect.anything(),
    });
    const malformed = await invoke(handler, { method, caller: ADMIN, pathParameters: { AccessKey: 'x' } });
    expect(malformed.status).toBe(400);
  });

  test('a request without a caller is a 401', async () => {
    const response = await invoke(readHandler, { caller: null });
    expect(response.status).toBe(401);
  });

  test('no random body makes CreateApiToken or UpdateApiToken answer 500 or write anything on an error', async () => {
    const { token } = await service().tokens.create(ADMIN, {
      Name: uniqueName('prop'),
      Role: 'api_readonly',
    });
    const body = fc.oneof(
      fc.record(
        {
          Name: fc.oneof(
            fc.string({ maxLength: 70 }),
            fc.stringMatching(/^[0-9a-zA-Z_.-]{2,64}$/),
            fc.integer(),
          ),
          Role: fc.oneof(
            fc.constantFrom('api_admin', 'api_user', 'api_readonly', 'customer_admin'),
            fc.string(),
          ),
          Description: fc.oneof(fc.string({ maxLength: 1100 }), fc.constant(null)),
          Tags: fc.oneof(fc.dictionary(fc.string(), fc.string()), fc.constant(null), fc.string()),
        },
        { requiredKeys: [] },
      ),
      fc.jsonValue(),
    );
    const before = await tokenItemCount();
    let created = 0;
    await fc.assert(
      fc.asyncProperty(body, fc.constantFrom<Caller>(ADMIN, API_ADMIN, USER), async (value, caller) => {
        const create = await invoke(createHandler, { method: 'POST', caller, body: JSON.stringify(value) });
        expect([200, 400, 403, 409]).toContain(create.status);
        if (create.status === 200) created += 1;
        const stored = await rawItem(token.AccessKey);
        const update = await invoke(updateHandler, {
          method: 'PUT',
          caller,
          pathParameters: { AccessKey: token.AccessKey },
          body: JSON.stringify(value),
        });
        expect([200, 400, 403]).toContain(update.status);
        if (update.status !== 200) expect(await rawItem(token.AccessKey)).toEqual(stored);
      }),
      { numRuns: 60 },
    );
    expect(await tokenItemCount()).toBe(before + created);
  });
});
