import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { PostAuthenticationTriggerEvent } from 'aws-lambda';
import { MemoryAuditSink } from '@/lambdas/shared/audit';
import { TABLE_NAME_ENV } from '@/lambdas/shared/constants';
import { createDb, type Db } from '@/lambdas/shared/db';
import { newId } from '@/lambdas/shared/ids';
import type { FederatedSignInDeps } from '@/lambdas/triggers/federated-sign-in';
import { NO_FEDERATION_ROLES } from '@/lambdas/triggers/federation';
import { createPostAuthenticationHandler, handler } from '@/lambdas/triggers/post-authentication';
import { SIGN_IN_MESSAGES, type SignInDeps, signIn } from '@/lambdas/triggers/sign-in';
import {
  AUTH_ORIGIN,
  INVITATION_VALIDITY_MS,
  type Item,
  type UserRecord,
  type UserStatus,
  userItem,
  userKey,
} from '@/lambdas/users/user-model';
import { outboxEvents } from '@/test/support/audit-outbox';
import { createTestTable, type TestTable, testDynamoDbEndpoint } from '@/test/support/dynamodb';

const NOW = new Date('2025-06-01T12:00:00.000Z');
const clock = { now: () => NOW };

let table: TestTable;
let db: Db;

beforeAll(async () => {
  table = await createTestTable();
  db = createDb(table.tableName, table.client);
});
afterAll(() => table.drop());

function deps(audit = new MemoryAuditSink(), overrides: Partial<SignInDeps> = {}): FederatedSignInDeps {
  return { db, clock, audit, roles: NO_FEDERATION_ROLES, ...overrides };
}

async function putUser(
  status: UserStatus,
  extra: Partial<UserRecord> = {},
  now: Date = NOW,
): Promise<UserRecord> {
  const id = newId();
  const invitedTs = new Date(now.getTime() - 60 * 60 * 1000);
  const user: UserRecord = {
    Id: id,
    Email: `${id}@example.com`,
    FirstName: 'Ada',
    LastName: 'Lovelace',
    Role: 'customer_user',
    Status: status,
    AuthOrigin: AUTH_ORIGIN.local,
    CognitoUsername: id,
    CreatedTS: invitedTs.toISOString(),
    ModifiedTS: invitedTs.toISOString(),
    ...(status === 'INVITED' && {
      InvitedTS: invitedTs.toISOString(),
      InviteExpiresTS: new Date(invitedTs.getTime() + INVITATION_VALIDITY_MS).toISOString(),
    }),
    Version: 3,
    ...extra,
  };
  await table.doc.send(new PutCommand({ TableName: table.tableName, Item: userItem(user) }));
  return user;
}

async function stored(id: string): Promise<Item | undefined> {
  const { Item: item } = await table.doc.send(
    new GetCommand({ TableName: table.tableName, Key: userKey(id), ConsistentRead: true }),
  );
  return item;
}

/** A PostAuthentication_Authentication event as Cognito sends it for a local user. */
function cognitoEvent(userName: string, email = `${userName}@example.com`): PostAuthenticationTriggerEvent {
  return {
    version: '1',
    region: 'us-east-1',
    userPoolId: 'us-east-1_AbCdEfGhI',
    userName,
    callerContext: {
      awsSdkVersion: 'aws-sdk-unknown-unknown',
      clientId: '1example23456789abcdefghij',
    },
    triggerSource: 'PostAuthentication_Authentication',
    request: {
      userAttributes: {
        sub: '94f8a4e8-2071-70f1-e4b4-1c2b3d4e5f60',
        'cognito:user_status': 'CONFIRMED',
        email_verified: 'true',
        email,
      },
      newDeviceUsed: false,
    },
    response: {},
  };
}

describe('signIn', () => {
  test('activates an INVITED user within the invitation: Version + 1, ActivatedTS, audit SUCCESS', async () => {
    const user = await putUser('INVITED');
    const audit = new MemoryAuditSink();
    await expect(signIn(deps(audit), user.Id)).resolves.toEqual({ allow: true, reason: 'activated' });
    expect(await stored(user.Id)).toMatchObject({
      Status: 'ACTIVE',
      Version: 4,
      ModifiedTS: NOW.toISOString(),
      ActivatedTS: NOW.toISOString(),
    });
    expect(audit.events).toEqual([
      expect.objectContaining({
        staxEventType: 'UserAuthenticationEvent',
        outcome: 'SUCCESS',
        time: NOW.toISOString(),
        actor: { type: 'user', id: user.Id, role: 'customer_user' },
        target: [{ type: 'user', id: user.Id }],
        detail: {
          user: user.Id,
          email: user.Email,
          role: 'customer_user',
          status: 'SUCCESS',
          loginType: 'Stax',
          reason: 'activated',
        },
      }),
    ]);
  });

  test('refuses an expired invitation, writes nothing, audits FAILURE', async () => {
    const user = await putUser('INVITED', { InviteExpiresTS: new Date(NOW.getTime() - 1).toISOString() });
    const before = await stored(user.Id);
    const audit = new MemoryAuditSink();
    await expect(signIn(deps(audit), user.Id)).rejects.toThrow(SIGN_IN_MESSAGES.inviteExpired);
    expect(await stored(user.Id)).toEqual(before);
    expect(audit.events).toEqual([
      expect.objectContaining({
        outcome: 'FAILURE',
        detail: expect.objectContaining({ reason: 'invite_expired', status: 'FAILED', loginType: 'Stax' }),
      }),
    ]);
  });

  test('refuses an INVITED user with no recorded expiry (fails closed)', async () => {
    const user = await putUser('INVITED');
    await table.doc.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: userKey(user.Id),
        UpdateExpression: 'REMOVE InviteExpiresTS, InvitedTS',
      }),
    );
    await expect(signIn(deps(), user.Id)).rejects.toThrow(SIGN_IN_MESSAGES.inviteExpired);
    expect(await stored(user.Id)).toMatchObject({ Status: 'INVITED', Version: 3 });
  });

  test.each([
    ['DISABLED', 'disabled'],
    ['DELETED', 'deleted'],
    ['NEW', 'not_active'],
  ] as const)('refuses a %s user with the generic message', async (status, reason) => {
    const user = await putUser(status);
    const before = await stored(user.Id);
    const audit = new MemoryAuditSink();
    await expect(signIn(deps(audit), user.Id)).rejects.toThrow(SIGN_IN_MESSAGES.notActive);
    expect(await stored(user.Id)).toEqual(before);
    expect(audit.events).toEqual([
      expect.objectContaining({
        outcome: 'FAILURE',
        detail: expect.objectContaining({ reason, status: 'FAILED', loginType: 'Stax' }),
      }),
    ]);
  });

  test('refuses a local username without a user item and creates nothing', async () => {
    const id = newId();
    const audit = new MemoryAuditSink();
    await expect(signIn(deps(audit), id)).rejects.toThrow(SIGN_IN_MESSAGES.notActive);
    expect(await stored(id)).toBeUndefined();
    expect(audit.events).toEqual([
      expect.objectContaining({
        outcome: 'FAILURE',
        actor: { type: 'user', id },
        detail: expect.objectContaining({ reason: 'unknown_user', status: 'FAILED', loginType: 'Stax' }),
      }),
    ]);
  });

  test('allows an ACTIVE user without writing', async () => {
    const user = await putUser('ACTIVE');
    const before = await stored(user.Id);
    const audit = new MemoryAuditSink();
    await expect(signIn(deps(audit), user.Id)).resolves.toEqual({ allow: true, reason: 'active' });
    expect(await stored(user.Id)).toEqual(before);
    expect(audit.events).toEqual([
      expect.objectContaining({
        outcome: 'SUCCESS',
        detail: expect.objectContaining({ reason: 'active', status: 'SUCCESS', loginType: 'Stax' }),
      }),
    ]);
  });

  test('refuses when the audit event cannot be written, and does not activate', async () => {
    const user = await putUser('INVITED');
    const audit = new MemoryAuditSink();
    audit.failWith = new Error('bucket unreachable');
    const error = jest.spyOn(console, 'error').mockImplementation(() => {});
    await expect(signIn(deps(audit), user.Id)).rejects.toThrow(SIGN_IN_MESSAGES.unavailable);
    error.mockRestore();
    expect(await stored(user.Id)).toMatchObject({ Status: 'INVITED', Version: 3 });
    expect(audit.events).toEqual([]);
  });

  test('a lost race is decided again on a fresh read: disabled meanwhile → refused, status kept', async () => {
    const user = await putUser('INVITED');
    const audit = new MemoryAuditSink();
    // An admin disables the user between the trigger's read and its write.
    const racing: MemoryAuditSink = Object.assign(new MemoryAuditSink(), {
      write: async (event: Parameters<MemoryAuditSink['write']>[0]) => {
        if (audit.events.length === 0) {
          await table.doc.send(
            new UpdateCommand({
              TableName: table.tableName,
              Key: userKey(user.Id),
              UpdateExpression: 'SET #s = :d, DisabledFromStatus = :i, Version = Version + :one',
              ExpressionAttributeNames: { '#s': 'Status' },
              ExpressionAttributeValues: { ':d': 'DISABLED', ':i': 'INVITED', ':one': 1 },
            }),
          );
        }
        await audit.write(event);
      },
    });
    await expect(signIn(deps(racing), user.Id)).rejects.toThrow(SIGN_IN_MESSAGES.notActive);
    expect(await stored(user.Id)).toMatchObject({ Status: 'DISABLED', Version: 4 });
    expect(audit.events.map((event) => [event.outcome, event.detail?.reason])).toEqual([
      ['SUCCESS', 'activated'],
      ['FAILURE', 'disabled'],
    ]);
  });

  test('a lost race to a concurrent activation (another tab) is allowed without a second write', async () => {
    const user = await putUser('INVITED');
    const first = new MemoryAuditSink();
    const racing: MemoryAuditSink = Object.assign(new MemoryAuditSink(), {
      write: async (event: Parameters<MemoryAuditSink['write']>[0]) => {
        if (first.events.length === 0) await signIn(deps(), user.Id);
        await first.write(event);
      },
    });
    await expect(signIn(deps(racing), user.Id)).resolves.toEqual({ allow: true, reason: 'active' });
    expect(await stored(user.Id)).toMatchObject({ Status: 'ACTIVE', Version: 4 });
  });
});

describe('post-authentication handler', () => {
  test('a Cognito PostAuthentication_Authentication event activates the invited user and is returned', async () => {
    const user = await putUser('INVITED');
    const audit = new MemoryAuditSink();
    const trigger = createPostAuthenticationHandler(() => deps(audit));
    const event = cognitoEvent(user.Id, user.Email);
    await expect(trigger(event)).resolves.toBe(event);
    expect(await stored(user.Id)).toMatchObject({ Status: 'ACTIVE' });
    expect(audit.events).toHaveLength(1);
  });

  test('a refused sign-in rejects with the message Cognito shows', async () => {
    const user = await putUser('DISABLED');
    const trigger = createPostAuthenticationHandler(() => deps());
    await expect(trigger(cognitoEvent(user.Id))).rejects.toThrow(new Error(SIGN_IN_MESSAGES.notActive));
  });

  describe('deployed handler (dependencies from the environment)', () => {
    const saved = { ...process.env };
    beforeAll(() => {
      process.env[TABLE_NAME_ENV] = table.tableName;
      process.env.AWS_ENDPOINT_URL_DYNAMODB = testDynamoDbEndpoint();
    });
    afterAll(() => {
      process.env = { ...saved };
    });

    test('activates through the table and records the audit event in its outbox', async () => {
      // The deployed handler reads the system clock.
      const user = await putUser('INVITED', {}, new Date());
      const event = cognitoEvent(user.Id, user.Email);
      await expect(handler(event)).resolves.toBe(event);
      expect(await stored(user.Id)).toMatchObject({ Status: 'ACTIVE', Version: 4 });
      expect(
        (await outboxEvents(table)).filter((audit) => audit.target.some((target) => target.id === user.Id)),
      ).toEqual([expect.objectContaining({ staxEventType: 'UserAuthenticationEvent', outcome: 'SUCCESS' })]);
    });
  });
});
