import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { MemoryAuditSink } from '@/lambdas/shared/audit';
import { createDb, type Db } from '@/lambdas/shared/db';
import { newId } from '@/lambdas/shared/ids';
import {
  type FederatedSignInDeps,
  federatedGuardKey,
  federatedSignIn,
} from '@/lambdas/triggers/federated-sign-in';
import { type FederatedIdentity, type FederationRoles, signInIdentity } from '@/lambdas/triggers/federation';
import { createPostAuthenticationHandler } from '@/lambdas/triggers/post-authentication';
import { SIGN_IN_MESSAGES } from '@/lambdas/triggers/sign-in';
import {
  AUTH_ORIGIN,
  emailGuardKey,
  type Item,
  type UserRecord,
  type UserStatus,
  userItem,
  userKey,
} from '@/lambdas/users/user-model';
import { createTestTable, type TestTable } from '@/test/support/dynamodb';
import {
  cognitoUsername,
  type FederatedUser,
  federatedAttributes,
  federatedPostAuthentication,
  oidcUser,
  samlUser,
} from './cognito-events';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const LATER = new Date('2026-06-02T08:30:00.000Z');

const ROLES: FederationRoles = {
  groups: {
    'staxid-admins': 'customer_admin',
    'staxid-users': 'customer_user',
    auditors: 'customer_readonly',
  },
  defaultRole: 'customer_readonly',
  // EntraID is the directory SCIM provisions from; AcmeSAML may send a StaxRole; PartnerIdP is a
  // less trusted IdP capped at customer_readonly.
  providers: {
    acmesaml: { allowRoleAttribute: true, maxRole: 'customer_admin', linkScimUsers: false },
    entraid: { allowRoleAttribute: false, maxRole: 'customer_admin', linkScimUsers: true },
    partneridp: { allowRoleAttribute: false, maxRole: 'customer_readonly', linkScimUsers: false },
  },
};

let table: TestTable;
let db: Db;

beforeAll(async () => {
  table = await createTestTable();
  db = createDb(table.tableName, table.client);
});
afterAll(() => table.drop());

function deps(audit = new MemoryAuditSink(), now = NOW): FederatedSignInDeps {
  return { db, clock: { now: () => now }, audit, roles: ROLES };
}

/** A federated user with a subject and email of their own, so that tests do not collide. */
function unique(make: (o: Partial<FederatedUser>) => FederatedUser, overrides: Partial<FederatedUser> = {}) {
  const tag = newId().slice(0, 8);
  const base = make({});
  return make({ subject: `${tag}-${base.subject}`, email: `${tag}.${base.email}`, ...overrides });
}

function identityOf(user: FederatedUser): FederatedIdentity {
  const identity = signInIdentity(cognitoUsername(user), federatedAttributes(user));
  if (identity.kind !== 'federated') throw new Error('expected a federated identity');
  return identity;
}

async function get(key: { PK: string; SK: string }): Promise<Item | undefined> {
  const { Item: item } = await table.doc.send(
    new GetCommand({ TableName: table.tableName, Key: key, ConsistentRead: true }),
  );
  return item;
}

async function storedUserOf(user: FederatedUser): Promise<Item | undefined> {
  const guard = await get(federatedGuardKey(cognitoUsername(user)));
  return typeof guard?.UserId === 'string' ? get(userKey(guard.UserId)) : undefined;
}

async function putUser(extra: Partial<UserRecord> & Pick<UserRecord, 'Email'>): Promise<UserRecord> {
  const id = newId();
  const user: UserRecord = {
    Id: id,
    FirstName: 'Old',
    LastName: 'Name',
    Role: 'customer_user',
    Status: 'ACTIVE',
    AuthOrigin: AUTH_ORIGIN.local,
    CreatedTS: NOW.toISOString(),
    ModifiedTS: NOW.toISOString(),
    Version: 2,
    ...extra,
  };
  await table.doc.send(new PutCommand({ TableName: table.tableName, Item: userItem(user) }));
  await table.doc.send(
    new PutCommand({ TableName: table.tableName, Item: { ...emailGuardKey(user.Email), UserId: id } }),
  );
  return user;
}

async function setStatus(id: string, status: UserStatus) {
  const item = await get(userKey(id));
  await table.doc.send(new PutCommand({ TableName: table.tableName, Item: { ...item, Status: status } }));
}

describe('federatedSignIn: first sign-in', () => {
  test.each([
    ['SAML', samlUser, 'customer_admin'],
    ['OIDC', oidcUser, 'customer_user'],
  ] as const)(
    'provisions an ACTIVE sso user from a %s identity, role from the groups, and audits it',
    async (_type, make, role) => {
      const user = unique(make);
      const audit = new MemoryAuditSink();
      const { decision, userId } = await federatedSignIn(deps(audit), identityOf(user));

      expect(decision).toEqual({ allow: true, reason: 'provisioned' });
      expect(await get(userKey(userId))).toMatchObject({
        Id: userId,
        Email: user.email,
        GSI1SK: user.email?.toLowerCase(),
        FirstName: user.givenName,
        LastName: user.familyName,
        Role: role,
        Status: 'ACTIVE',
        AuthOrigin: 'sso',
        CognitoUsername: cognitoUsername(user),
        CreatedBy: user.providerName,
        CreatedTS: NOW.toISOString(),
        ActivatedTS: NOW.toISOString(),
        Version: 1,
      });
      expect(await get(federatedGuardKey(cognitoUsername(user)))).toMatchObject({ UserId: userId });
      expect(await get(emailGuardKey(user.email ?? ''))).toMatchObject({ UserId: userId });
      expect(audit.events).toEqual([
        expect.objectContaining({
          staxEventType: 'UserAuthenticationEvent',
          outcome: 'SUCCESS',
          time: NOW.toISOString(),
          actor: { type: 'user', id: userId, role },
          target: [{ type: 'user', id: userId }],
          detail: {
            user: userId,
            email: user.email,
            role,
            status: 'SUCCESS',
            loginType: 'Federated',
            provider: user.providerName,
            reason: 'provisioned',
          },
        }),
      ]);
    },
  );

  test('a StaxRole attribute wins over the groups', async () => {
    const user = unique(samlUser, { staxRole: 'customer_costadmin' });
    const { userId } = await federatedSignIn(deps(), identityOf(user));
    expect(await get(userKey(userId))).toMatchObject({ Role: 'customer_costadmin' });
  });

  test('no mapped group and no StaxRole: the default role', async () => {
    const user = unique(oidcUser, { groups: '["marketing"]' });
    const { userId } = await federatedSignIn(deps(), identityOf(user));
    expect(await get(userKey(userId))).toMatchObject({ Role: 'customer_readonly' });
  });

  test('refuses an identity without an email, creates nothing, audits FAILED', async () => {
    const user = unique(oidcUser, { email: undefined });
    const audit = new MemoryAuditSink();
    await expect(federatedSignIn(deps(audit), identityOf(user))).rejects.toThrow(SIGN_IN_MESSAGES.noEmail);
    expect(await get(federatedGuardKey(cognitoUsername(user)))).toBeUndefined();
    expect(audit.events).toEqual([
      expect.objectContaining({
        outcome: 'FAILURE',
        actor: expect.objectContaining({ id: cognitoUsername(user) }),
        detail: expect.objectContaining({
          status: 'FAILED',
          loginType: 'Federated',
          reason: 'missing_email',
        }),
      }),
    ]);
  });

  test('refuses an email that belongs to a local user (no takeover), and leaves that user as it was', async () => {
    const user = unique(samlUser);
    const local = await putUser({ Email: user.email ?? '', CognitoUsername: 'x' });
    const before = await get(userKey(local.Id));
    const audit = new MemoryAuditSink();
    await expect(federatedSignIn(deps(audit), identityOf(user))).rejects.toThrow(SIGN_IN_MESSAGES.emailTaken);
    expect(await get(userKey(local.Id))).toEqual(before);
    expect(await get(federatedGuardKey(cognitoUsername(user)))).toBeUndefined();
    expect(audit.events.map((event) => event.detail?.reason)).toEqual(['email_conflict']);
  });

  test('links a SCIM-provisioned user with the same email and keeps its SCIM fields', async () => {
    const user = unique(oidcUser);
    const scim = await putUser({
      Email: user.email ?? '',
      AuthOrigin: AUTH_ORIGIN.scim,
      Role: 'customer_user',
    });
    const audit = new MemoryAuditSink();
    const { decision, userId } = await federatedSignIn(deps(audit), identityOf(user));
    expect({ decision, userId }).toEqual({ decision: { allow: true, reason: 'linked' }, userId: scim.Id });
    expect(await get(userKey(scim.Id))).toMatchObject({
      CognitoUsername: cognitoUsername(user),
      FirstName: 'Old',
      Role: 'customer_user',
      Version: 3,
    });
    expect(audit.events.map((event) => [event.outcome, event.detail?.reason])).toEqual([
      ['SUCCESS', 'linked'],
    ]);
  });

  test('refuses to link a SCIM user from a provider that may not link SCIM users, and leaves it as it was', async () => {
    const user = unique(samlUser, { staxRole: 'customer_admin' });
    const scim = await putUser({
      Email: user.email ?? '',
      AuthOrigin: AUTH_ORIGIN.scim,
      Role: 'customer_admin',
    });
    const before = await get(userKey(scim.Id));
    const audit = new MemoryAuditSink();
    await expect(federatedSignIn(deps(audit), identityOf(user))).rejects.toThrow(SIGN_IN_MESSAGES.emailTaken);
    expect(await get(userKey(scim.Id))).toEqual(before);
    expect(await get(federatedGuardKey(cognitoUsername(user)))).toBeUndefined();
    expect(audit.events.map((event) => [event.outcome, event.detail?.reason])).toEqual([
      ['FAILURE', 'link_not_allowed'],
    ]);
  });

  test('ignores the StaxRole attribute of a provider that may not send one', async () => {
    const user = unique(oidcUser, { staxRole: 'customer_admin', groups: '["marketing"]' });
    const { userId } = await federatedSignIn(deps(), identityOf(user));
    expect(await get(userKey(userId))).toMatchObject({ Role: 'customer_readonly' });
  });

  test("caps the role at the provider's maxRole", async () => {
    const user = unique(samlUser, { providerName: 'PartnerIdP', groups: '[staxid-admins]' });
    const audit = new MemoryAuditSink();
    const { userId } = await federatedSignIn(deps(audit), identityOf(user));
    expect(await get(userKey(userId))).toMatchObject({ Role: 'customer_readonly' });
    expect(audit.events[0]?.detail).toMatchObject({ role: 'customer_readonly', reason: 'provisioned' });
  });

  test('refuses a first OIDC sign-in whose email the IdP says is unverified: no user, no link', async () => {
    const fresh = unique(oidcUser, { emailVerified: 'false' });
    const audit = new MemoryAuditSink();
    await expect(federatedSignIn(deps(audit), identityOf(fresh))).rejects.toThrow(
      SIGN_IN_MESSAGES.emailUnverified,
    );
    expect(await get(federatedGuardKey(cognitoUsername(fresh)))).toBeUndefined();
    expect(await get(emailGuardKey(fresh.email ?? ''))).toBeUndefined();

    const claimant = unique(oidcUser, { emailVerified: 'false' });
    const scim = await putUser({ Email: claimant.email ?? '', AuthOrigin: AUTH_ORIGIN.scim });
    await expect(federatedSignIn(deps(audit), identityOf(claimant))).rejects.toThrow(
      SIGN_IN_MESSAGES.emailUnverified,
    );
    expect(await get(userKey(scim.Id))).not.toHaveProperty('CognitoUsername');
    expect(audit.events.map((event) => [event.outcome, event.detail?.reason])).toEqual([
      ['FAILURE', 'email_unverified'],
      ['FAILURE', 'email_unverified'],
    ]);
  });

  test('refuses to link a DISABLED SCIM user', async () => {
    const user = unique(oidcUser);
    const scim = await putUser({ Email: user.email ?? '', AuthOrigin: AUTH_ORIGIN.scim, Status: 'DISABLED' });
    await expect(federatedSignIn(deps(), identityOf(user))).rejects.toThrow(SIGN_IN_MESSAGES.notActive);
    expect(await get(userKey(scim.Id))).not.toHaveProperty('CognitoUsername');
  });

  test('two first sign-ins at once make one user', async () => {
    const user = unique(samlUser);
    const results = await Promise.allSettled([
      federatedSignIn(deps(), identityOf(user)),
      federatedSignIn(deps(), identityOf(user)),
    ]);
    const ids = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value.userId] : []));
    const stored = await storedUserOf(user);
    expect(ids.length).toBeGreaterThanOrEqual(1);
    expect(new Set(ids)).toEqual(new Set([stored?.Id]));
  });
});

describe('federatedSignIn: later sign-ins', () => {
  test('refreshes email, names and role from the IdP, moves the email guard, audits SUCCESS', async () => {
    const first = unique(samlUser);
    const { userId } = await federatedSignIn(deps(), identityOf(first));
    const changed: FederatedUser = {
      ...first,
      email: `new.${first.email}`,
      givenName: 'Augusta Ada',
      familyName: 'King',
      groups: '[Everyone]',
    };
    const audit = new MemoryAuditSink();
    await expect(federatedSignIn(deps(audit, LATER), identityOf(changed))).resolves.toEqual({
      decision: { allow: true, reason: 'refreshed' },
      userId,
    });
    expect(await get(userKey(userId))).toMatchObject({
      Email: changed.email,
      GSI1SK: changed.email?.toLowerCase(),
      FirstName: 'Augusta Ada',
      LastName: 'King',
      Role: 'customer_readonly',
      ModifiedTS: LATER.toISOString(),
      CreatedTS: NOW.toISOString(),
      Version: 2,
    });
    expect(await get(emailGuardKey(changed.email ?? ''))).toMatchObject({ UserId: userId });
    expect(await get(emailGuardKey(first.email ?? ''))).toBeUndefined();
    expect(audit.events).toEqual([
      expect.objectContaining({
        outcome: 'SUCCESS',
        detail: expect.objectContaining({
          email: changed.email,
          role: 'customer_readonly',
          status: 'SUCCESS',
          reason: 'refreshed',
        }),
      }),
    ]);
  });

  test('an unchanged identity signs in without a write', async () => {
    const user = unique(oidcUser);
    const { userId } = await federatedSignIn(deps(), identityOf(user));
    const before = await get(userKey(userId));
    await expect(federatedSignIn(deps(undefined, LATER), identityOf(user))).resolves.toEqual({
      decision: { allow: true, reason: 'active' },
      userId,
    });
    expect(await get(userKey(userId))).toEqual(before);
  });

  test('keeps the stored email when the IdP stops sending one', async () => {
    const user = unique(oidcUser);
    const { userId } = await federatedSignIn(deps(), identityOf(user));
    await federatedSignIn(deps(), identityOf({ ...user, email: undefined }));
    expect(await get(userKey(userId))).toMatchObject({ Email: user.email });
  });

  test('keeps the stored email when the IdP says the new one is unverified', async () => {
    const user = unique(oidcUser);
    const { userId } = await federatedSignIn(deps(), identityOf(user));
    const unverified = { ...user, email: `new.${user.email}`, emailVerified: 'false', givenName: 'G.' };
    await federatedSignIn(deps(), identityOf(unverified));
    expect(await get(userKey(userId))).toMatchObject({ Email: user.email, FirstName: 'G.' });
    expect(await get(emailGuardKey(unverified.email))).toBeUndefined();
  });

  test('refuses a new email that another user holds, and changes nothing', async () => {
    const user = unique(samlUser);
    const { userId } = await federatedSignIn(deps(), identityOf(user));
    const other = await putUser({ Email: `other.${user.email}` });
    const before = await get(userKey(userId));
    const audit = new MemoryAuditSink();
    await expect(federatedSignIn(deps(audit), identityOf({ ...user, email: other.Email }))).rejects.toThrow(
      SIGN_IN_MESSAGES.emailTaken,
    );
    expect(await get(userKey(userId))).toEqual(before);
    expect(audit.events.map((event) => [event.outcome, event.detail?.reason])).toEqual([
      ['FAILURE', 'email_conflict'],
    ]);
  });

  test.each([['DISABLED', 'disabled']] as const)(
    'refuses a %s user, writes nothing, audits FAILED',
    async (status, reason) => {
      const user = unique(samlUser);
      const { userId } = await federatedSignIn(deps(), identityOf(user));
      await setStatus(userId, status);
      const before = await get(userKey(userId));
      const audit = new MemoryAuditSink();
      await expect(
        federatedSignIn(deps(audit), identityOf({ ...user, givenName: 'Changed' })),
      ).rejects.toThrow(SIGN_IN_MESSAGES.notActive);
      expect(await get(userKey(userId))).toEqual(before);
      expect(audit.events).toEqual([
        expect.objectContaining({
          outcome: 'FAILURE',
          actor: { type: 'user', id: userId, role: 'customer_admin' },
          detail: {
            user: userId,
            email: user.email,
            role: 'customer_admin',
            status: 'FAILED',
            loginType: 'Federated',
            provider: 'AcmeSAML',
            reason,
          },
        }),
      ]);
    },
  );

  test('an identity whose user was deleted starts again as a new user; the deleted one stays deleted', async () => {
    const user = unique(samlUser);
    const email = user.email ?? '';
    const { userId: deletedId } = await federatedSignIn(deps(), identityOf(user));
    // What DeleteUser leaves: the item DELETED, its email guard gone, the federated guard kept.
    await setStatus(deletedId, 'DELETED');
    await table.doc.send(new DeleteCommand({ TableName: table.tableName, Key: emailGuardKey(email) }));
    const audit = new MemoryAuditSink();

    const { decision, userId } = await federatedSignIn(deps(audit, LATER), identityOf(user));

    expect(decision).toEqual({ allow: true, reason: 'provisioned' });
    expect(userId).not.toBe(deletedId);
    expect(await get(federatedGuardKey(cognitoUsername(user)))).toMatchObject({ UserId: userId });
    expect(await get(emailGuardKey(email))).toMatchObject({ UserId: userId });
    expect(await get(userKey(userId))).toMatchObject({ Status: 'ACTIVE', Email: email });
    expect(await get(userKey(deletedId))).toMatchObject({ Status: 'DELETED' });
    expect(audit.events.map((event) => [event.outcome, event.detail?.reason])).toEqual([
      ['SUCCESS', 'provisioned'],
    ]);
  });

  test('refuses when the audit event cannot be written, and provisions nothing', async () => {
    const user = unique(oidcUser);
    const audit = new MemoryAuditSink();
    audit.failWith = new Error('table unreachable');
    const error = jest.spyOn(console, 'error').mockImplementation(() => {});
    await expect(federatedSignIn(deps(audit), identityOf(user))).rejects.toThrow(
      SIGN_IN_MESSAGES.unavailable,
    );
    error.mockRestore();
    expect(await get(federatedGuardKey(cognitoUsername(user)))).toBeUndefined();
  });
});

describe('post-authentication handler, federated events', () => {
  test.each([
    ['SAML', samlUser],
    ['OIDC', oidcUser],
  ] as const)(
    'provisions the user of a %s PostAuthentication_Authentication event and returns the event',
    async (_type, make) => {
      const user = unique(make);
      const audit = new MemoryAuditSink();
      const trigger = createPostAuthenticationHandler(() => deps(audit));
      const event = federatedPostAuthentication(user);
      await expect(trigger(event)).resolves.toBe(event);
      expect(await storedUserOf(user)).toMatchObject({
        Email: user.email,
        AuthOrigin: 'sso',
        Status: 'ACTIVE',
      });
      expect(audit.events).toEqual([
        expect.objectContaining({ detail: expect.objectContaining({ loginType: 'Federated' }) }),
      ]);
    },
  );

  test('rejects the event of a DISABLED federated user with the message Cognito shows', async () => {
    const user = unique(samlUser);
    const trigger = createPostAuthenticationHandler(() => deps());
    await trigger(federatedPostAuthentication(user));
    const stored = await storedUserOf(user);
    await setStatus(String(stored?.Id), 'DISABLED');
    await expect(trigger(federatedPostAuthentication(user))).rejects.toThrow(
      new Error(SIGN_IN_MESSAGES.notActive),
    );
  });
  test('rejects an OIDC event whose mapped email_verified is false, with the message Cognito shows', async () => {
    const user = unique(oidcUser, { emailVerified: 'false' });
    const trigger = createPostAuthenticationHandler(() => deps());
    await expect(trigger(federatedPostAuthentication(user))).rejects.toThrow(
      new Error(SIGN_IN_MESSAGES.emailUnverified),
    );
    expect(await storedUserOf(user)).toBeUndefined();
  });
});
