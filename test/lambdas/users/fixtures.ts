/**
 * What the users tests share: a DynamoDB Local table and a cognito-local per test file,
 * the ten handlers wired to them with a MemoryAuditSink, callers of every role, seeded
 * users, and a snapshot of everything that could change (table, pool, outbox, audit).
 */
import { AdminCreateUserCommand, ListUsersCommand } from '@aws-sdk/client-cognito-identity-provider';
import { PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { MemoryAuditSink } from '@/lambdas/shared/audit';
import { type Clock, createDb, type Db } from '@/lambdas/shared/db';
import type { UserDirectory } from '@/lambdas/shared/directory';
import { newId, organisationIdFor } from '@/lambdas/shared/ids';
import { membershipKey } from '@/lambdas/shared/keys';
import type { Caller } from '@/lambdas/shared/permissions';
import type { UserRole } from '@/lambdas/shared/roles';
import { createUserHandler } from '@/lambdas/users/create-user';
import { deleteUserHandler } from '@/lambdas/users/delete-user';
import { fetchCurrentUserHandler } from '@/lambdas/users/fetch-current-user';
import { readIdamUserHandler } from '@/lambdas/users/read-idam-user';
import { readIdamUsersHandler } from '@/lambdas/users/read-idam-users';
import { readUserHandler } from '@/lambdas/users/read-user';
import { readUsersHandler } from '@/lambdas/users/read-users';
import { updateUserHandler } from '@/lambdas/users/update-user';
import { updateUserInviteHandler } from '@/lambdas/users/update-user-invite';
import { updateUserPasswordHandler } from '@/lambdas/users/update-user-password';
import {
  AUTH_ORIGIN,
  emailGuardKey,
  type Item,
  type UserRecord,
  type UserStatus,
  userItem,
} from '@/lambdas/users/user-model';
import type { UserReadDeps } from '@/lambdas/users/user-queries';
import { UserService } from '@/lambdas/users/user-service';
import { ADMIN, API_ADMIN, type ApiEventInput, invoke, READONLY, USER } from '@/test/support/api-event';
import { startTestCognito, type TestCognito } from '@/test/support/cognito-local';
import { createTestTable, type TestTable } from '@/test/support/dynamodb';

export const ORGANISATION_ID = organisationIdFor('o-users12345');

export const COSTADMIN: Caller = {
  kind: 'user',
  id: '00000000-0000-4000-8000-000000000005',
  role: 'customer_costadmin',
};
export const API_USER: Caller = {
  kind: 'token',
  id: '00000000-0000-4000-8000-000000000006',
  role: 'api_user',
};
export const API_READONLY: Caller = {
  kind: 'token',
  id: '00000000-0000-4000-8000-000000000007',
  role: 'api_readonly',
};

/** Every kind of caller, by a readable name. */
export const CALLERS = {
  customer_admin: ADMIN,
  customer_user: USER,
  customer_readonly: READONLY,
  customer_costadmin: COSTADMIN,
  api_admin: API_ADMIN,
  api_user: API_USER,
  api_readonly: API_READONLY,
} as const;

export type CallerName = keyof typeof CALLERS;
export const CALLER_NAMES = Object.keys(CALLERS) as CallerName[];

type Handler = Parameters<typeof invoke>[0];

export interface UsersFixture {
  readonly table: TestTable;
  readonly cognito: TestCognito;
  readonly db: Db;
  readonly audit: MemoryAuditSink;
  readonly service: UserService;
  readonly handlers: {
    readonly readUsers: Handler;
    readonly readUser: Handler;
    readonly fetchCurrentUser: Handler;
    readonly readIdamUsers: Handler;
    readonly readIdamUser: Handler;
    readonly createUser: Handler;
    readonly updateUser: Handler;
    readonly updateUserInvite: Handler;
    readonly updateUserPassword: Handler;
    readonly deleteUser: Handler;
  };
  /** Swaps the directory the handlers use (e.g. for one that fails); `undefined` restores cognito-local. */
  useDirectory(directory: UserDirectory | undefined): void;
  call(handler: Handler, input: ApiEventInput): Promise<{ status: number; body: unknown }>;
  seedUser(input?: SeedUser): Promise<UserRecord>;
  seedMembership(groupId: string, userId: string): Promise<void>;
  /** Everything a request could change, to compare before and after. */
  snapshot(): Promise<Snapshot>;
  items(): Promise<Item[]>;
  stop(): Promise<void>;
}

export interface SeedUser {
  readonly id?: string;
  readonly email?: string;
  readonly firstName?: string;
  readonly lastName?: string;
  readonly role?: UserRole;
  readonly status?: UserStatus;
  readonly authOrigin?: string;
}

export interface Snapshot {
  readonly items: string;
  readonly poolUsers: string;
  readonly outbox: number;
  readonly auditEvents: number;
}

export const clock: Clock = { now: () => new Date() };

export async function startUsersFixture(): Promise<UsersFixture> {
  const [table, cognito] = await Promise.all([createTestTable(), startTestCognito()]);
  const db = createDb(table.tableName, table.client);
  const audit = new MemoryAuditSink();
  let directory: UserDirectory = cognito.directory;
  const switchable: UserDirectory = {
    createUser: (user) => directory.createUser(user),
    resendInvitation: (user) => directory.resendInvitation(user),
    resetPassword: (user) => directory.resetPassword(user),
    disable: (username) => directory.disable(username),
    enable: (username) => directory.enable(username),
    deleteUser: (username) => directory.deleteUser(username),
    updateAttributes: (username, attributes) => directory.updateAttributes(username, attributes),
  };
  const service = new UserService({
    db,
    clock,
    directory: switchable,
    audit,
    organisationId: ORGANISATION_ID,
    logger: { info: () => {}, warn: () => {}, error: () => {} },
  });
  const readDeps: UserReadDeps = { db, organisationId: ORGANISATION_ID };
  const reads = () => readDeps;
  const writes = () => service;
  const handlers = {
    readUsers: readUsersHandler(reads),
    readUser: readUserHandler(reads),
    fetchCurrentUser: fetchCurrentUserHandler(reads),
    readIdamUsers: readIdamUsersHandler(reads),
    readIdamUser: readIdamUserHandler(reads),
    createUser: createUserHandler(writes),
    updateUser: updateUserHandler(writes),
    updateUserInvite: updateUserInviteHandler(writes),
    updateUserPassword: updateUserPasswordHandler(writes),
    deleteUser: deleteUserHandler(writes),
  };

  const items = async (): Promise<Item[]> => {
    const all: Item[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await table.doc.send(
        new ScanCommand({ TableName: table.tableName, ConsistentRead: true, ExclusiveStartKey: startKey }),
      );
      all.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return all.sort((a, b) => `${a.PK}|${a.SK}`.localeCompare(`${b.PK}|${b.SK}`));
  };

  const poolUsers = async (): Promise<string> => {
    const listed = await cognito.client.send(new ListUsersCommand({ UserPoolId: cognito.userPoolId }));
    return JSON.stringify(
      (listed.Users ?? [])
        .map((user) => ({
          username: user.Username,
          enabled: user.Enabled,
          status: user.UserStatus,
          attributes: [...(user.Attributes ?? [])].sort((a, b) =>
            String(a.Name).localeCompare(String(b.Name)),
          ),
        }))
        .sort((a, b) => String(a.username).localeCompare(String(b.username))),
    );
  };

  const seedUser = async (input: SeedUser = {}): Promise<UserRecord> => {
    const id = input.id ?? newId();
    const now = new Date().toISOString();
    const authOrigin = input.authOrigin ?? AUTH_ORIGIN.local;
    const local = authOrigin === AUTH_ORIGIN.local;
    const username = local ? id : `${authOrigin}_${id}`;
    const user: UserRecord = {
      Id: id,
      Email: input.email ?? `seed-${id.slice(0, 8)}@example.com`,
      FirstName: input.firstName ?? 'Seed',
      LastName: input.lastName ?? 'User',
      Role: input.role ?? 'customer_user',
      Status: input.status ?? 'ACTIVE',
      AuthOrigin: authOrigin,
      CognitoUsername: username,
      CreatedTS: now,
      ModifiedTS: now,
      Version: 1,
      ...(input.status === 'DISABLED' && { DisabledFromStatus: 'ACTIVE' as const }),
    };
    await table.doc.send(new PutCommand({ TableName: table.tableName, Item: userItem(user) }));
    if (user.Status !== 'DELETED') {
      await table.doc.send(
        new PutCommand({ TableName: table.tableName, Item: { ...emailGuardKey(user.Email), UserId: id } }),
      );
      await cognito.client.send(
        new AdminCreateUserCommand({
          UserPoolId: cognito.userPoolId,
          Username: username,
          MessageAction: 'SUPPRESS',
          TemporaryPassword: 'Temporary-Passw0rd!',
          UserAttributes: [
            { Name: 'email', Value: user.Email },
            { Name: 'email_verified', Value: 'true' },
            { Name: 'given_name', Value: user.FirstName },
            { Name: 'family_name', Value: user.LastName },
          ],
        }),
      );
    }
    return user;
  };

  return {
    table,
    cognito,
    db,
    audit,
    service,
    handlers,
    useDirectory: (replacement) => {
      directory = replacement ?? cognito.directory;
    },
    call: (handler, input) => invoke(handler, input),
    seedUser,
    seedMembership: async (groupId, userId) => {
      await table.doc.send(
        new PutCommand({
          TableName: table.tableName,
          Item: { ...membershipKey(groupId, userId), CreatedTS: 'x' },
        }),
      );
    },
    snapshot: async () => ({
      items: JSON.stringify((await items()).map(sortedKeys)),
      poolUsers: await poolUsers(),
      outbox: cognito.outbox().length,
      auditEvents: audit.events.length,
    }),
    items,
    stop: async () => {
      await Promise.all([table.drop(), cognito.stop()]);
    },
  };
}

/** The item with its attributes in name order: DynamoDB returns them in no particular order. */
function sortedKeys(item: Item): Item {
  return Object.fromEntries(Object.entries(item).sort(([a], [b]) => a.localeCompare(b)));
}

/** A CreateUser body with a fresh address. */
export function newUserBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    Email: `user-${newId().slice(0, 8)}@example.com`,
    FirstName: 'Ada',
    LastName: 'Lovelace',
    ...overrides,
  };
}

/** The user id a CreateUser answer's task names (read from the task item). */
export async function createdUserId(fixture: UsersFixture, body: unknown): Promise<string> {
  const taskId = (body as { TaskId?: unknown }).TaskId;
  const task = (await fixture.items()).find((item) => item.PK === `TASK#${String(taskId)}`);
  const users = task?.Users;
  if (!Array.isArray(users) || typeof users[0] !== 'string') throw new Error(`no task ${String(taskId)}`);
  return users[0];
}
