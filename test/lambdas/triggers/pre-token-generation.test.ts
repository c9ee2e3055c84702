import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { MemoryAuditSink } from '@/lambdas/shared/audit';
import { createDb, type Db } from '@/lambdas/shared/db';
import { newId } from '@/lambdas/shared/ids';
import { federatedSignIn } from '@/lambdas/triggers/federated-sign-in';
import { NO_FEDERATION_ROLES, signInIdentity } from '@/lambdas/triggers/federation';
import { createPreTokenGenerationHandler } from '@/lambdas/triggers/pre-token-generation';
import { SIGN_IN_MESSAGES } from '@/lambdas/triggers/sign-in';
import { AUTH_ORIGIN, type UserRecord, type UserStatus, userItem } from '@/lambdas/users/user-model';
import { createTestTable, type TestTable } from '@/test/support/dynamodb';
import {
  cognitoUsername,
  federatedAttributes,
  localAttributes,
  oidcUser,
  preTokenGeneration,
} from './cognito-events';

const NOW = new Date('2026-06-01T12:00:00.000Z');

let table: TestTable;
let db: Db;
let trigger: ReturnType<typeof createPreTokenGenerationHandler>;

beforeAll(async () => {
  table = await createTestTable();
  db = createDb(table.tableName, table.client);
  trigger = createPreTokenGenerationHandler(() => db);
});
afterAll(() => table.drop());

async function putLocalUser(status: UserStatus): Promise<UserRecord> {
  const id = newId();
  const user: UserRecord = {
    Id: id,
    Email: `${id}@example.com`,
    FirstName: 'Ada',
    LastName: 'Lovelace',
    Role: 'customer_user',
    Status: status,
    AuthOrigin: AUTH_ORIGIN.local,
    CognitoUsername: id,
    CreatedTS: NOW.toISOString(),
    ModifiedTS: NOW.toISOString(),
    Version: 1,
  };
  await table.doc.send(new PutCommand({ TableName: table.tableName, Item: userItem(user) }));
  return user;
}

describe('pre-token-generation handler (V2_0 events)', () => {
  test('a local user gets staxid:user_id and staxid:role in the ID and access tokens', async () => {
    const user = await putLocalUser('ACTIVE');
    const event = preTokenGeneration(user.Id, localAttributes(user.Email), 'TokenGeneration_Authentication');
    const result = await trigger(event);
    const claims = { 'staxid:user_id': user.Id, 'staxid:role': 'customer_user' };
    expect(result.response.claimsAndScopeOverrideDetails).toEqual({
      idTokenGeneration: { claimsToAddOrOverride: claims },
      accessTokenGeneration: { claimsToAddOrOverride: claims },
    });
  });

  test('a federated (OIDC) user is found through the federated guard, on sign-in and on refresh', async () => {
    const user = oidcUser({ subject: `sub-${newId()}`, email: `${newId()}@acme.example` });
    const identity = signInIdentity(cognitoUsername(user), federatedAttributes(user));
    if (identity.kind !== 'federated') throw new Error('expected a federated identity');
    const { userId } = await federatedSignIn(
      { db, clock: { now: () => NOW }, audit: new MemoryAuditSink(), roles: NO_FEDERATION_ROLES },
      identity,
    );
    for (const source of ['TokenGeneration_HostedAuth', 'TokenGeneration_RefreshTokens'] as const) {
      const result = await trigger(
        preTokenGeneration(cognitoUsername(user), federatedAttributes(user), source),
      );
      expect(result.response.claimsAndScopeOverrideDetails.accessTokenGeneration).toEqual({
        claimsToAddOrOverride: { 'staxid:user_id': userId, 'staxid:role': 'customer_readonly' },
      });
    }
  });

  test.each(['DISABLED', 'INVITED', 'DELETED'] as const)(
    'refuses tokens to a %s user (a refresh too)',
    async (status) => {
      const user = await putLocalUser(status);
      await expect(
        trigger(preTokenGeneration(user.Id, localAttributes(user.Email), 'TokenGeneration_RefreshTokens')),
      ).rejects.toThrow(SIGN_IN_MESSAGES.notActive);
    },
  );

  test('refuses tokens to a federated identity staxid does not know', async () => {
    const user = oidcUser({ subject: `unknown-${newId()}` });
    await expect(
      trigger(preTokenGeneration(cognitoUsername(user), federatedAttributes(user))),
    ).rejects.toThrow(SIGN_IN_MESSAGES.notActive);
  });
});
