import fc from 'fast-check';
import { ACCESS_LEVELS, type AccountRole, type AccountStatus } from '@/lambdas/accounts/account-items';
import { builtinEntitlements } from '@/lambdas/accounts/accounts';
import { type Entitlement, entitlementsOf, SUPPORT_SESSION_SECONDS } from '@/lambdas/aws/entitlements';
import { BUILTIN_ROLE_NAMES } from '@/lambdas/shared/constants';
import { createDb, type Db } from '@/lambdas/shared/db';
import { newId } from '@/lambdas/shared/ids';
import type { StoredGrant, StoredGrantStatus } from '@/lambdas/support/grant-items';
import {
  clearTable,
  countRoundTrips,
  type Model,
  type ModelAccount,
  modelItems,
  writeItems,
} from '@/test/lambdas/aws/organization';
import { createTestTable, type TestTable } from '@/test/support/dynamodb';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const HOUR = 3600 * 1000;

/** The support group; activeGrant's grants hold only for its members (see supportMember). */
const SUPPORT = { id: newId(), name: 'support' };

/** The support group and `userId`'s membership of it, as parts of a Model. */
function supportMember(userId: string) {
  return { groups: [SUPPORT], memberships: [{ groupId: SUPPORT.id, userId }] };
}

let table: TestTable;
let db: Db;

beforeAll(async () => {
  table = await createTestTable();
  db = createDb(table.tableName, table.client);
});
afterAll(() => table.drop());
beforeEach(() => clearTable(table));

function activeGrant(
  userId: string,
  scope: Partial<StoredGrant['scope']>,
  overrides: Partial<StoredGrant> = {},
) {
  return {
    id: newId(),
    userId,
    supportGroupId: SUPPORT.id,
    requestedBy: userId,
    caseReference: 'CASE-1',
    scope: { accountIds: scope.accountIds ?? [], accountTypeIds: scope.accountTypeIds ?? [] },
    roleName: BUILTIN_ROLE_NAMES.readonly,
    durationHours: 4,
    status: 'ACTIVE',
    createdTs: new Date(NOW.getTime() - 2 * HOUR).toISOString(),
    modifiedTs: new Date(NOW.getTime() - HOUR).toISOString(),
    approvedBy: newId(),
    startsAt: new Date(NOW.getTime() - HOUR).toISOString(),
    expiresAt: new Date(NOW.getTime() + 3 * HOUR).toISOString(),
    version: 2,
    ...overrides,
  } satisfies StoredGrant;
}

/** A large organization: `n` groups the user is in, `n` account types, each with 2 accounts. */
function largeOrganization(userId: string, n: number) {
  const groups = Array.from({ length: n }, (_, i) => ({ id: newId(), name: `group-${i}` }));
  const types = groups.map((group, i) => ({
    id: newId(),
    name: `type-${i}`,
    roles: [{ GroupId: group.id, RoleName: ACCESS_LEVELS[i % 3] ?? 'readonly' }],
  }));
  const accounts: ModelAccount[] = types.flatMap((type, i) => [
    {
      id: newId(),
      awsAccountId: String(300000000000 + 2 * i),
      name: `acct-${i}-a`,
      status: 'ACTIVE',
      typeId: type.id,
    },
    {
      id: newId(),
      awsAccountId: String(300000000001 + 2 * i),
      name: `acct-${i}-b`,
      status: 'ACTIVE',
      typeId: type.id,
    },
  ]);
  return {
    groups,
    types,
    accounts,
    memberships: groups.map((group) => ({ groupId: group.id, userId })),
  };
}

describe('entitlementsOf', () => {
  it('gives the built-in roles builtinEntitlements gives, as builtin entitlements', async () => {
    const userId = newId();
    const org = largeOrganization(userId, 6);
    await writeItems(table, modelItems({ ...org, grants: [] }));
    const expected = (await builtinEntitlements(db, userId)).map(
      ({ accountId, awsAccountId, accountName, roleName }): Entitlement => ({
        accountId,
        awsAccountId,
        accountName,
        roleName,
        source: 'builtin',
      }),
    );
    expect(expected).toHaveLength(12);
    expect(await entitlementsOf(db, userId, NOW)).toEqual(expected);
  });

  it('reads in one round trip without support grants and two with them, whatever the size', async () => {
    const userId = newId();
    const org = largeOrganization(userId, 40);
    // 150 accounts in no account type: the grants name them directly (two BatchGets in parallel).
    const loose: ModelAccount[] = Array.from({ length: 150 }, (_, i) => ({
      id: newId(),
      awsAccountId: String(400000000000 + i),
      name: `loose-${i}`,
      status: 'ACTIVE',
    }));
    const grants = [
      activeGrant(userId, { accountIds: loose.slice(0, 80).map((account) => account.id) }),
      activeGrant(userId, { accountIds: loose.slice(80).map((account) => account.id) }),
      activeGrant(userId, { accountTypeIds: org.types.slice(0, 5).map((type) => type.id) }),
    ];
    const items = modelItems({
      groups: [...org.groups, SUPPORT],
      memberships: [...org.memberships, ...supportMember(userId).memberships],
      types: org.types,
      accounts: [...org.accounts, ...loose],
      grants: [],
    });
    await writeItems(table, items);

    const plain = createDb(table.tableName, table.client);
    const plainCount = countRoundTrips(plain);
    expect(await entitlementsOf(plain, userId, NOW)).toHaveLength(80);
    expect(plainCount.rounds()).toBe(1);

    await writeItems(table, modelItems({ groups: [], memberships: [], accounts: [], types: [], grants }));
    const counted = createDb(table.tableName, table.client);
    const count = countRoundTrips(counted);
    const entitlements = await entitlementsOf(counted, userId, NOW);
    // 150 loose accounts, and 10 through 5 account types less the 2 of type-2 whose readonly
    // role the user holds anyway (a built-in role needs no support grant).
    expect(entitlements.filter((entitlement) => entitlement.source === 'support')).toHaveLength(158);
    expect(entitlements).toHaveLength(80 + 158);
    expect(count.rounds()).toBe(2);
    expect(count.requests()).toBeGreaterThan(3);
  });

  it('carries the grant, its case reference and a session that never outlasts the window', async () => {
    const userId = newId();
    const account: ModelAccount = {
      id: newId(),
      awsAccountId: '123456789012',
      name: 'customer',
      status: 'ACTIVE',
    };
    const soon = activeGrant(
      userId,
      { accountIds: [account.id] },
      { caseReference: 'CASE-42', expiresAt: new Date(NOW.getTime() + 20 * 60 * 1000).toISOString() },
    );
    await writeItems(
      table,
      modelItems({ ...supportMember(userId), types: [], accounts: [account], grants: [soon] }),
    );
    expect(await entitlementsOf(db, userId, NOW)).toEqual([
      {
        accountId: account.id,
        awsAccountId: '123456789012',
        accountName: 'customer',
        roleName: BUILTIN_ROLE_NAMES.readonly,
        source: 'support',
        sessionDurationSeconds: 20 * 60,
        supportGrantId: soon.id,
        caseReference: 'CASE-42',
      },
    ]);
  });

  it('gives one entitlement per (account, role): the built-in role, else the grant that lasts longest', async () => {
    const userId = newId();
    const group = { id: newId(), name: 'readers' };
    const type = { id: newId(), name: 'prod', roles: [{ GroupId: group.id, RoleName: 'readonly' as const }] };
    const typed: ModelAccount = {
      id: newId(),
      awsAccountId: '111111111111',
      name: 'a',
      status: 'ACTIVE',
      typeId: type.id,
    };
    const loose: ModelAccount = { id: newId(), awsAccountId: '222222222222', name: 'b', status: 'ACTIVE' };
    const scope = { accountIds: [typed.id, loose.id] };
    const short = activeGrant(userId, scope, { caseReference: 'SHORT' });
    const long = activeGrant(userId, scope, {
      caseReference: 'LONG',
      expiresAt: new Date(NOW.getTime() + 9 * HOUR).toISOString(),
    });
    await writeItems(
      table,
      modelItems({
        groups: [group, SUPPORT],
        memberships: [{ groupId: group.id, userId }, ...supportMember(userId).memberships],
        types: [type],
        accounts: [typed, loose],
        grants: [short, long],
      }),
    );
    const entitlements = await entitlementsOf(db, userId, NOW);
    expect(entitlements.map((e) => [e.accountName, e.source, e.caseReference])).toEqual([
      ['a', 'builtin', undefined],
      ['b', 'support', 'LONG'],
    ]);
  });

  it('ignores grants before their window, after it, revoked or pending, and other users’ grants', async () => {
    const userId = newId();
    const account: ModelAccount = {
      id: newId(),
      awsAccountId: '123456789012',
      name: 'customer',
      status: 'ACTIVE',
    };
    const scope = { accountIds: [account.id] };
    const grants = [
      activeGrant(userId, scope, { expiresAt: NOW.toISOString() }),
      activeGrant(userId, scope, { startsAt: new Date(NOW.getTime() + 1).toISOString() }),
      activeGrant(userId, scope, { status: 'REVOKED' }),
      activeGrant(userId, scope, { status: 'PENDING' }),
      activeGrant(newId(), scope),
      // made by a support group the user has left
      activeGrant(userId, scope, { supportGroupId: newId() }),
    ];
    await writeItems(table, modelItems({ ...supportMember(userId), types: [], accounts: [account], grants }));
    expect(await entitlementsOf(db, userId, NOW)).toEqual([]);
  });
});

describe('entitlementsOf: staxid’s own accounts (review M3)', () => {
  /** A type whose admins are `group`, holding a member account and the three special ones. */
  function organizationWithSpecialAccounts(userId: string, unlabelledSummary: boolean) {
    const group = { id: newId(), name: 'admins' };
    const type = {
      id: newId(),
      name: 'everything',
      roles: [{ GroupId: group.id, RoleName: 'admin' as const }],
    };
    const roles: readonly AccountRole[] = ['MEMBER', 'SECURITY', 'LOGGING', 'MANAGEMENT'];
    const accounts: ModelAccount[] = roles.map((role, i) => ({
      id: newId(),
      awsAccountId: String(600000000000 + i),
      name: role.toLowerCase(),
      status: 'ACTIVE',
      typeId: type.id,
      role,
      unlabelledSummary,
    }));
    const grant = activeGrant(userId, {
      accountIds: accounts.map((account) => account.id),
      accountTypeIds: [type.id],
    });
    return {
      groups: [group, SUPPORT],
      memberships: [{ groupId: group.id, userId }, ...supportMember(userId).memberships],
      types: [type],
      accounts,
      grants: [grant],
    };
  }

  it.each([
    ['the type’s summary says so', false],
    ['only the account items say so (a summary written before it kept AccountRole)', true],
  ])('never offers the management, security or logging account when %s', async (_, unlabelled) => {
    const userId = newId();
    await writeItems(table, modelItems(organizationWithSpecialAccounts(userId, unlabelled)));
    const entitlements = await entitlementsOf(db, userId, NOW);
    expect(entitlements.map((e) => [e.accountName, e.roleName])).toEqual([
      ['member', BUILTIN_ROLE_NAMES.admin],
      ['member', BUILTIN_ROLE_NAMES.readonly],
    ]);
  });
});

describe('entitlementsOf: a support session never outlives its grant (review M4)', () => {
  async function offeredWith(secondsLeft: number): Promise<Entitlement[]> {
    const userId = newId();
    const account: ModelAccount = { id: newId(), awsAccountId: '123456789012', name: 'c', status: 'ACTIVE' };
    const grant = activeGrant(
      userId,
      { accountIds: [account.id] },
      { expiresAt: new Date(NOW.getTime() + secondsLeft * 1000).toISOString() },
    );
    await writeItems(
      table,
      modelItems({ ...supportMember(userId), types: [], accounts: [account], grants: [grant] }),
    );
    return entitlementsOf(db, userId, NOW);
  }

  it('offers a grant with 900 s left for exactly 900 s', async () => {
    expect((await offeredWith(900)).map((e) => e.sessionDurationSeconds)).toEqual([900]);
  });

  it('does not offer a grant with 899 s left: AWS’s shortest session would outlive it', async () => {
    expect(await offeredWith(899)).toEqual([]);
  });

  it('caps a long grant’s session at an hour', async () => {
    expect((await offeredWith(5 * 3600)).map((e) => e.sessionDurationSeconds)).toEqual([3600]);
  });
});

// ---- property: equal to a naive reference over random organizations ------------------------

const STATUSES: readonly AccountStatus[] = ['ACTIVE', 'ACTIVE', 'SUSPENDED', 'CLOSED'];
const ACCOUNT_ROLES: readonly AccountRole[] = [
  'MEMBER',
  'MEMBER',
  'MEMBER',
  'SECURITY',
  'LOGGING',
  'MANAGEMENT',
];
const GRANT_STATUSES: readonly StoredGrantStatus[] = ['ACTIVE', 'ACTIVE', 'PENDING', 'REVOKED'];
const ROLE_NAMES = Object.values(BUILTIN_ROLE_NAMES);

/** The permission sets random organizations assign (names are unique, as the API keeps them). */
const PERMISSION_SETS = [
  { id: newId(), name: 'DataReader', seconds: 3600 },
  { id: newId(), name: 'Operator', seconds: 43_200 },
];

/** Random organizations over a few users, groups, account types (with permission-set assignments) and accounts. */
const organizations = fc
  .record({
    users: fc.integer({ min: 1, max: 3 }),
    groups: fc.integer({ min: 0, max: 4 }),
    types: fc.integer({ min: 0, max: 3 }),
    accounts: fc.integer({ min: 1, max: 6 }),
  })
  .chain((size) =>
    fc.record({
      users: fc.constant(Array.from({ length: size.users }, () => newId())),
      groups: fc.constant(Array.from({ length: size.groups }, (_, i) => ({ id: newId(), name: `g-${i}` }))),
      typeIds: fc.constant(Array.from({ length: size.types }, () => newId())),
      memberships: fc.array(fc.tuple(fc.nat(size.users - 1), fc.nat(Math.max(0, size.groups - 1))), {
        maxLength: 8,
      }),
      typePermissionSets: fc.array(
        fc.array(fc.tuple(fc.nat(Math.max(0, size.groups - 1)), fc.nat(PERMISSION_SETS.length - 1)), {
          maxLength: 3,
        }),
        { minLength: size.types, maxLength: size.types },
      ),
      typeRoles: fc.array(
        fc.array(fc.tuple(fc.nat(Math.max(0, size.groups - 1)), fc.constantFrom(...ACCESS_LEVELS)), {
          maxLength: 4,
        }),
        { minLength: size.types, maxLength: size.types },
      ),
      accounts: fc.array(
        fc.record({
          status: fc.constantFrom(...STATUSES),
          type: fc.option(fc.nat(Math.max(0, size.types - 1)), { nil: undefined }),
          name: fc.constantFrom('alpha', 'beta', 'Beta', 'gamma'),
          role: fc.constantFrom(...ACCOUNT_ROLES),
          unlabelledSummary: fc.boolean(),
        }),
        { minLength: size.accounts, maxLength: size.accounts },
      ),
      grants: fc.array(
        fc.record({
          user: fc.nat(size.users - 1),
          supportGroup: fc.nat(size.groups),
          status: fc.constantFrom(...GRANT_STATUSES),
          accounts: fc.array(fc.nat(size.accounts - 1), { maxLength: 3 }),
          types: fc.array(fc.nat(Math.max(0, size.types - 1)), { maxLength: 2 }),
          role: fc.constantFrom(...ROLE_NAMES),
          startMinutes: fc.integer({ min: -80 * 60, max: 60 }),
          hours: fc.integer({ min: 1, max: 72 }),
        }),
        { maxLength: 5 },
      ),
    }),
  )
  .map((raw): { model: Model; userId: string } => {
    const groups = raw.groups;
    const types = raw.typeIds.map((id, i) => ({
      id,
      name: `t-${i}`,
      roles: (raw.typeRoles[i] ?? []).flatMap(([group, level]) => {
        const groupId = groups[group]?.id;
        return groupId ? [{ GroupId: groupId, RoleName: level }] : [];
      }),
      permissionSets: (raw.typePermissionSets[i] ?? []).flatMap(([group, index]) => {
        const groupId = groups[group]?.id;
        const set = PERMISSION_SETS[index];
        return groupId && set
          ? [
              {
                AssignmentId: newId(),
                PermissionSetId: set.id,
                RoleName: set.name,
                GroupId: groupId,
                MaxSessionDuration: set.seconds,
              },
            ]
          : [];
      }),
    }));
    const accounts: ModelAccount[] = raw.accounts.map((account, i) => {
      const typeId = account.type === undefined ? undefined : raw.typeIds[account.type];
      return {
        id: newId(),
        awsAccountId: String(500000000000 + i),
        name: account.name,
        status: account.status,
        role: account.role,
        unlabelledSummary: account.unlabelledSummary,
        ...(typeId && { typeId }),
      };
    });
    const memberships = raw.memberships.flatMap(([user, group]) => {
      const groupId = groups[group]?.id;
      const userId = raw.users[user];
      return groupId && userId ? [{ groupId, userId }] : [];
    });
    const grants = raw.grants.map((grant): StoredGrant => {
      const start = NOW.getTime() + grant.startMinutes * 60 * 1000;
      const userId = raw.users[grant.user] ?? '';
      return {
        id: newId(),
        userId,
        // an index past the last group: a support group that no longer exists
        supportGroupId: groups[grant.supportGroup]?.id ?? newId(),
        requestedBy: userId,
        caseReference: `CASE-${grant.startMinutes}`,
        scope: {
          accountIds: [...new Set(grant.accounts.flatMap((i) => accounts[i]?.id ?? []))],
          accountTypeIds: [...new Set(grant.types.flatMap((i) => raw.typeIds[i] ?? []))],
        },
        roleName: grant.role,
        durationHours: grant.hours,
        status: grant.status,
        createdTs: new Date(start - HOUR).toISOString(),
        modifiedTs: new Date(start).toISOString(),
        ...(grant.status !== 'PENDING' && {
          approvedBy: newId(),
          startsAt: new Date(start).toISOString(),
          expiresAt: new Date(start + grant.hours * HOUR).toISOString(),
        }),
        version: 2,
      };
    });
    // Memberships are a set: the same (group, user) twice is one item.
    const uniqueMemberships = [...new Map(memberships.map((m) => [`${m.groupId}|${m.userId}`, m])).values()];
    return {
      model: { groups, memberships: uniqueMemberships, accounts, types, grants },
      userId: raw.users[0] ?? '',
    };
  });

/** The reference: the definition, computed in memory from the model, with no cleverness. */
function reference(model: Model, userId: string, now: Date): Entitlement[] {
  const time = now.getTime();
  const usable = (account: ModelAccount) =>
    account.status === 'ACTIVE' && (account.role ?? 'MEMBER') === 'MEMBER';
  const myGroups = model.memberships.filter((m) => m.userId === userId).map((m) => m.groupId);
  const result: Entitlement[] = [];
  const has = (accountId: string, roleName: string) =>
    result.some((e) => e.accountId === accountId && e.roleName === roleName);
  for (const account of model.accounts.filter(usable)) {
    const type = model.types.find((t) => t.id === account.typeId);
    for (const level of ACCESS_LEVELS) {
      if (type?.roles.some((role) => role.RoleName === level && myGroups.includes(role.GroupId))) {
        result.push({
          accountId: account.id,
          awsAccountId: account.awsAccountId,
          accountName: account.name,
          roleName: BUILTIN_ROLE_NAMES[level],
          source: 'builtin',
        });
      }
    }
  }
  for (const account of model.accounts.filter(usable)) {
    const type = model.types.find((t) => t.id === account.typeId);
    const held = (type?.permissionSets ?? []).filter((summary) => myGroups.includes(summary.GroupId));
    for (const summary of [...held].sort((a, b) => (a.AssignmentId < b.AssignmentId ? -1 : 1))) {
      if (has(account.id, summary.RoleName)) continue;
      result.push({
        accountId: account.id,
        awsAccountId: account.awsAccountId,
        accountName: account.name,
        roleName: summary.RoleName,
        rolePath: '/staxid/',
        source: 'permission-set',
        sessionDurationSeconds: summary.MaxSessionDuration,
        permissionSetId: summary.PermissionSetId,
        assignmentId: summary.AssignmentId,
      });
    }
  }
  const live = model.grants.filter(
    (g) =>
      g.userId === userId &&
      myGroups.includes(g.supportGroupId) &&
      g.status === 'ACTIVE' &&
      Date.parse(g.startsAt ?? '') <= time &&
      time + SUPPORT_SESSION_SECONDS.min * 1000 <= Date.parse(g.expiresAt ?? ''),
  );
  const ordered = [...live].sort((a, b) =>
    a.expiresAt === b.expiresAt ? (a.id < b.id ? -1 : 1) : (a.expiresAt ?? '') > (b.expiresAt ?? '') ? -1 : 1,
  );
  for (const grant of ordered) {
    for (const account of model.accounts.filter(usable)) {
      const inScope =
        grant.scope.accountIds.includes(account.id) ||
        (account.typeId !== undefined && grant.scope.accountTypeIds.includes(account.typeId));
      if (!inScope || has(account.id, grant.roleName)) continue;
      const remaining = Math.floor((Date.parse(grant.expiresAt ?? '') - time) / 1000);
      result.push({
        accountId: account.id,
        awsAccountId: account.awsAccountId,
        accountName: account.name,
        roleName: grant.roleName,
        source: 'support',
        sessionDurationSeconds: Math.min(SUPPORT_SESSION_SECONDS.max, remaining),
        supportGrantId: grant.id,
        caseReference: grant.caseReference,
      });
    }
  }
  const key = (e: Entitlement) => [e.accountName, e.awsAccountId, e.roleName, e.accountId];
  return result.sort((a, b) => {
    const [ka, kb] = [key(a), key(b)];
    for (let i = 0; i < ka.length; i++) {
      const [x, y] = [ka[i] ?? '', kb[i] ?? ''];
      if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
  });
}

describe('entitlementsOf, property', () => {
  it('equals the naive reference over random organizations, permission sets included, in at most two round trips', async () => {
    await fc.assert(
      fc.asyncProperty(organizations, async ({ model, userId }) => {
        await clearTable(table);
        await writeItems(table, modelItems(model));
        const counted = createDb(table.tableName, table.client);
        const count = countRoundTrips(counted);
        const actual = await entitlementsOf(counted, userId, NOW);
        expect(actual).toEqual(reference(model, userId, NOW));
        expect(count.rounds()).toBeLessThanOrEqual(2);
      }),
      { numRuns: 60 },
    );
  });
});
