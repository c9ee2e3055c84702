/**
 * The SCIM tests' harness: a DynamoDB Local table, a MemoryAuditSink, the local secret
 * hasher (an in-memory HMAC key), the SCIM handler and the SCIM token handlers wired to
 * them, and `scim()` to send a request as an identity provider does.
 */
import { randomBytes } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createScimTokenHandler } from '@/lambdas/scim/create-scim-token';
import { deleteScimTokenHandler } from '@/lambdas/scim/delete-scim-token';
import type { ScimDeps } from '@/lambdas/scim/deps';
import { readScimTokensHandler } from '@/lambdas/scim/read-scim-tokens';
import { scimApiHandler } from '@/lambdas/scim/scim-api';
import { MemoryAuditSink } from '@/lambdas/shared/audit';
import { createDb } from '@/lambdas/shared/db';
import type { UserDirectory } from '@/lambdas/shared/directory';
import { hmacSecretHasher } from '@/lambdas/shared/secrets';
import { ORGANISATION_ID, quietLogger, TestClock } from '@/test/lambdas/tasks/harness';
import { ADMIN, apiEvent, invoke } from '@/test/support/api-event';
import { createTestTable, type TestTable } from '@/test/support/dynamodb';

export { ORGANISATION_ID };

/** The user directory calls SCIM made: users who never signed in have no pool user, so none are expected. */
export class RecordingDirectory implements UserDirectory {
  readonly calls: string[] = [];
  createUser = async () => this.record('createUser');
  resendInvitation = async () => this.record('resendInvitation');
  resetPassword = async () => this.record('resetPassword');
  disable = async (username: string) => this.record(`disable ${username}`);
  enable = async (username: string) => this.record(`enable ${username}`);
  deleteUser = async (username: string) => this.record(`deleteUser ${username}`);
  updateAttributes = async (username: string) => this.record(`updateAttributes ${username}`);

  private record(call: string): void {
    this.calls.push(call);
  }
}

export interface ScimResult {
  readonly status: number;
  readonly body: Record<string, unknown> & { Resources?: Record<string, unknown>[] };
  readonly headers: Record<string, string | number | boolean>;
}

export interface ScimHarness {
  readonly table: TestTable;
  readonly audit: MemoryAuditSink;
  /** Records directory calls, unless the test passed a directory of its own. */
  readonly directory: RecordingDirectory;
  readonly deps: ScimDeps;
  /** Creates a SCIM token as an Admin and returns it. */
  newToken(): Promise<string>;
  /** Sends a SCIM request (path relative to /scim/v2) with the token. */
  scim(
    method: string,
    path: string,
    options?: { body?: unknown; token?: string | null; headers?: Record<string, string> },
  ): Promise<ScimResult>;
  readonly tokens: {
    readonly create: ReturnType<typeof createScimTokenHandler>;
    readonly read: ReturnType<typeof readScimTokensHandler>;
    readonly remove: ReturnType<typeof deleteScimTokenHandler>;
  };
  /** Deletes every SCIM token as an Admin, so that a test starts below the limit of two. */
  deleteAllTokens(): Promise<void>;
  /** Every item of the table. */
  items(): Promise<Record<string, unknown>[]>;
  drop(): Promise<void>;
}

export async function createScimHarness(options: { directory?: UserDirectory } = {}): Promise<ScimHarness> {
  const table = await createTestTable();
  const audit = new MemoryAuditSink();
  const directory = new RecordingDirectory();
  const deps: ScimDeps = {
    db: createDb(table.tableName, table.client),
    clock: new TestClock(new Date()),
    audit,
    hasher: hmacSecretHasher(randomBytes(32)),
    directory: options.directory ?? directory,
    organisationId: ORGANISATION_ID,
    logger: quietLogger,
  };
  const handler = scimApiHandler(() => deps);
  const tokens = {
    create: createScimTokenHandler(() => deps),
    read: readScimTokensHandler(() => deps),
    remove: deleteScimTokenHandler(() => deps),
  };
  let defaultToken: string | undefined;
  const harness: ScimHarness = {
    table,
    audit,
    directory,
    deps,
    tokens,
    newToken: async () => {
      const response = await invoke(tokens.create, { method: 'POST', caller: ADMIN });
      expect(response.status).toBe(201);
      return (response.body as { Token: string }).Token;
    },
    scim: async (method, path, options = {}) => {
      if (options.token === undefined && defaultToken === undefined) defaultToken = await harness.newToken();
      const token = options.token === undefined ? defaultToken : options.token;
      const [pathname = '', search = ''] = path.split('?');
      const query = Object.fromEntries(new URLSearchParams(search));
      const event = apiEvent({
        method,
        path: `/scim/v2${pathname}`,
        ...(Object.keys(query).length > 0 && { query }),
        ...(options.body !== undefined && { body: options.body }),
        headers: {
          Host: 'staxid.example.com',
          ...(options.body !== undefined && { 'Content-Type': 'application/scim+json; charset=utf-8' }),
          ...(token !== null && { Authorization: `Bearer ${token}` }),
          ...options.headers,
        },
        caller: null,
      });
      const result = await handler(event);
      return {
        status: result.statusCode,
        body: result.body === '' ? {} : JSON.parse(result.body),
        headers: (result.headers ?? {}) as Record<string, string>,
      };
    },
    deleteAllTokens: async () => {
      const listed = await invoke(tokens.read, { caller: ADMIN });
      for (const token of (listed.body as { ScimTokens: { Id: string }[] }).ScimTokens) {
        const response = await invoke(tokens.remove, {
          method: 'DELETE',
          pathParameters: { id: token.Id },
          caller: ADMIN,
        });
        expect(response.status).toBe(200);
      }
    },
    items: async () => {
      const { Items: items = [] } = await table.doc.send(
        new ScanCommand({ TableName: table.tableName, ConsistentRead: true }),
      );
      return items;
    },
    drop: () => table.drop(),
  };
  return harness;
}
