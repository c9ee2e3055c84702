import { DeleteCommand, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { entitlementsOf } from '@/lambdas/aws/entitlements';
import { BUILTIN_ROLE_NAMES } from '@/lambdas/shared/constants';
import { createDb } from '@/lambdas/shared/db';
import { ENTITY, entityKey, uniqueKey } from '@/lambdas/shared/keys';
import type { Caller } from '@/lambdas/shared/permissions';
import { approveSupportAccessGrantHandler } from '@/lambdas/support/approve-support-access-grant';
import { createSupportAccessGrantHandler } from '@/lambdas/support/create-support-access-grant';
import { grantKey, RETENTION_MS } from '@/lambdas/support/grant-items';
import { readSupportAccessGrantHandler } from '@/lambdas/support/read-support-access-grant';
import { readSupportAccessGrantsHandler } from '@/lambdas/support/read-support-access-grants';
import { revokeSupportAccessGrantHandler } from '@/lambdas/support/revoke-support-access-grant';
import { createSupportFixture, SUPPORT_GROUP, type SupportFixture } from '@/test/lambdas/support/fixture';
import { UNKNOWN_ID } from '@/test/lambdas/tasks/harness';
import { invoke } from '@/test/support/api-event';

let f: SupportFixture;
const deps = () => f.deps();
const create = createSupportAccessGrantHandler(deps);
const approve = approveSupportAccessGrantHandler(deps);
const revoke = revokeSupportAccessGrantHandler(deps);
const readAll = readSupportAccessGrantsHandler(deps);
const readOne = readSupportAccessGrantHandler(deps);

const HOUR = 3600 * 1000;
/**
 * Tests start at the next whole hour of the real clock: DynamoDB Local deletes items whose
 * `ttl` has passed in real time, so the test clock may not lie far in the past.
 */
const START = Math.ceil(Date.now() / HOUR) * HOUR;
/** The ISO time `hours` after START. */
const at = (hours: number) => new Date(START + hours * HOUR).toISOString();

interface GrantBody {
  Id: string;
  UserId: string;
  RequestedBy: string;
  CaseReference: string;
  Scope: { AccountIds: string[]; AccountTypeIds: string[] };
  RoleName: string;
  DurationHours: number;
  Status: string;
  StartsAt?: string;
  ExpiresAt?: string;
  ApprovedBy?: string;
  RevokedBy?: string;
}

beforeAll(async () => {
  f = await createSupportFixture();
});
afterAll(() => f.h.drop());
beforeEach(() => {
  f.h.clock.time = new Date(START);
  f.h.audit.events.length = 0;
  f.h.audit.failWith = undefined;
});

function grantOf(response: { body: unknown }): GrantBody {
  const [grant] = (response.body as { SupportAccessGrants: GrantBody[] }).SupportAccessGrants;
  if (!grant) throw new Error(`no grant in ${JSON.stringify(response.body)}`);
  return grant;
}

function body(overrides: Record<string, unknown> = {}) {
  return {
    CaseReference: 'CASE-2026-0042',
    Scope: { AccountIds: [f.looseAccount.id] },
    DurationHours: 8,
    ...overrides,
  };
}

async function requestGrant(caller: Caller = f.engineer, overrides: Record<string, unknown> = {}) {
  const response = await invoke(create, { method: 'POST', body: body(overrides), caller });
  expect(response.status).toBe(201);
  return grantOf(response);
}

function approveAs(caller: Caller, grantId: string, approval?: unknown) {
  return invoke(approve, { method: 'PUT', pathParameters: { grant_id: grantId }, caller, body: approval });
}

function revokeAs(caller: Caller, grantId: string) {
  return invoke(revoke, { method: 'PUT', pathParameters: { grant_id: grantId }, caller });
}

describe('support.CreateSupportAccessGrant', () => {
  it('gives a support engineer a PENDING grant in the readonly role, audited with the case reference', async () => {
    const grant = await requestGrant(f.engineer, {
      Scope: { AccountIds: [f.typedAccount.awsAccountId], AccountTypeIds: [f.accountTypeId] },
      Reason: 'customer cannot reach the console',
    });
    expect(grant).toMatchObject({
      UserId: f.engineer.id,
      RequestedBy: f.engineer.id,
      CaseReference: 'CASE-2026-0042',
      // the 12-digit id is stored as the Stax id
      Scope: { AccountIds: [f.typedAccount.id], AccountTypeIds: [f.accountTypeId] },
      RoleName: BUILTIN_ROLE_NAMES.readonly,
      DurationHours: 8,
      Status: 'PENDING',
    });
    expect(grant.ExpiresAt).toBeUndefined();
    expect(f.h.audit.events).toHaveLength(1);
    expect(f.h.audit.events[0]).toMatchObject({
      staxEventType: 'support.CreateSupportAccessGrant',
      outcome: 'SUCCESS',
      actor: { type: 'user', id: f.engineer.id },
      detail: {
        caseReference: 'CASE-2026-0042',
        scope: { accountIds: [f.typedAccount.id], accountTypeIds: [f.accountTypeId] },
        roleName: BUILTIN_ROLE_NAMES.readonly,
        status: 'PENDING',
      },
    });
  });

  it('lets an Admin (user or API token) ask on behalf of an engineer named in UserId', async () => {
    for (const caller of [f.admin, f.apiAdmin]) {
      const grant = await requestGrant(caller, { UserId: f.engineer.id });
      expect(grant).toMatchObject({ UserId: f.engineer.id, RequestedBy: caller.id, Status: 'PENDING' });
    }
  });

  type Named = 'engineer' | 'adminEngineer' | 'outsider' | undefined;
  it.each<[string, () => Caller, Named, number]>([
    ['a user outside the support group', () => f.outsider, undefined, 403],
    [
      'a read-only user outside the support group',
      () => ({ ...f.outsider, role: 'customer_readonly' }),
      undefined,
      403,
    ],
    ['a support engineer asking for someone else', () => f.engineer, 'adminEngineer', 403],
    ['a non-Admin API token', () => ({ ...f.apiAdmin, role: 'api_user' }), 'engineer', 403],
    ['a read-only API token', () => ({ ...f.apiAdmin, role: 'api_readonly' }), 'engineer', 403],
    ['an Admin naming a user outside the support group', () => f.admin, 'outsider', 400],
    ['an Admin outside the group asking for themself', () => f.admin, undefined, 400],
    ['an Admin API token naming nobody', () => f.apiAdmin, undefined, 400],
  ])('refuses %s and writes nothing', async (_, caller, named, status) => {
    const before = await f.h.snapshot();
    const overrides = named ? { UserId: f[named].id } : {};
    const response = await invoke(create, { method: 'POST', body: body(overrides), caller: caller() });
    expect(response.status).toBe(status);
    expect(await f.h.snapshot()).toEqual(before);
    expect(f.h.audit.events).toEqual([]);
  });

  it.each([
    [{ CaseReference: '' }, 'Body.CaseReference'],
    [{ CaseReference: 'x'.repeat(129) }, 'Body.CaseReference'],
    [{ CaseReference: 'CASE<script>' }, 'Body.CaseReference'],
    [{ CaseReference: 'INC#4711' }, 'Body.CaseReference'],
    [{ Scope: {} }, 'Body.Scope'],
    [{ Scope: { AccountIds: ['12345'] } }, 'Body.Scope.AccountIds[0]'],
    [{ Scope: { AccountIds: [UNKNOWN_ID] } }, 'Body.Scope.AccountIds[0]'],
    [{ Scope: { AccountIds: ['999999999999'] } }, 'Body.Scope.AccountIds[0]'],
    [{ Scope: { AccountTypeIds: [UNKNOWN_ID] } }, 'Body.Scope.AccountTypeIds[0]'],
    [{ Scope: { Accounts: [] } }, 'Body.Scope.Accounts'],
    [{ DurationHours: 0 }, 'Body.DurationHours'],
    [{ DurationHours: 73 }, 'Body.DurationHours'],
    [{ DurationHours: 1.5 }, 'Body.DurationHours'],
    [{ RoleName: 'AdministratorAccess' }, 'Body.RoleName'],
    [{ UserId: 'me' }, 'Body.UserId'],
    [{ Colour: 'blue' }, 'Body.Colour'],
  ])('refuses %j with a 400 naming %s', async (overrides, field) => {
    const before = await f.h.snapshot();
    const response = await invoke(create, { method: 'POST', body: body(overrides), caller: f.engineer });
    expect(response.status).toBe(400);
    expect((response.body as { Error: string }).Error.startsWith(`${field}: `)).toBe(true);
    expect(await f.h.snapshot()).toEqual(before);
  });

  it('counts only a LOCAL group as the support group: a SCIM group of that name makes nobody an engineer', async () => {
    const guard = await f.h.table.doc.send(
      new GetCommand({ TableName: f.h.table.tableName, Key: uniqueKey('GROUPNAME', SUPPORT_GROUP) }),
    );
    const groupKey = entityKey(ENTITY.group, String(guard.Item?.Id));
    const { Item: group } = await f.h.table.doc.send(
      new GetCommand({ TableName: f.h.table.tableName, Key: groupKey }),
    );
    if (!group) throw new Error('no support group');
    await f.h.table.doc.send(
      new PutCommand({ TableName: f.h.table.tableName, Item: { ...group, GroupType: 'SCIM' } }),
    );
    try {
      const before = await f.h.snapshot();
      expect((await invoke(create, { method: 'POST', body: body(), caller: f.engineer })).status).toBe(403);
      const onBehalf = await invoke(create, {
        method: 'POST',
        body: body({ UserId: f.engineer.id }),
        caller: f.admin,
      });
      expect(onBehalf).toMatchObject({
        status: 400,
        body: { Error: expect.stringContaining('Body.UserId') },
      });
      expect(await f.h.snapshot()).toEqual(before);
    } finally {
      await f.h.table.doc.send(new PutCommand({ TableName: f.h.table.tableName, Item: group }));
    }
  });

  it('writes nothing when the audit event cannot be written (503)', async () => {
    const before = await f.h.snapshot();
    f.h.audit.failWith = new Error('bucket unreachable');
    const response = await invoke(create, { method: 'POST', body: body(), caller: f.engineer });
    expect(response.status).toBe(503);
    expect(await f.h.snapshot()).toEqual(before);
  });
});

describe('support.ApproveSupportAccessGrant', () => {
  it('opens the window at approval for DurationHours, and the engineer holds the role until it ends', async () => {
    const grant = await requestGrant(f.engineer, { DurationHours: 2 });
    f.h.clock.time = new Date(at(1.5));
    expect(await entitlementsOf(f.h.deps.db, f.engineer.id, f.h.clock.now())).toEqual([]);
    const response = await approveAs(f.admin, grant.Id);
    expect(response.status).toBe(200);
    expect(grantOf(response)).toMatchObject({
      Status: 'ACTIVE',
      ApprovedBy: f.admin.id,
      StartsAt: at(1.5),
      ExpiresAt: at(3.5),
    });
    const held = await entitlementsOf(f.h.deps.db, f.engineer.id, f.h.clock.now());
    expect(held).toEqual([
      expect.objectContaining({
        accountId: f.looseAccount.id,
        awsAccountId: f.looseAccount.awsAccountId,
        roleName: BUILTIN_ROLE_NAMES.readonly,
        source: 'support',
        supportGrantId: grant.Id,
        caseReference: 'CASE-2026-0042',
      }),
    ]);
    expect(f.h.audit.events.at(-1)).toMatchObject({
      staxEventType: 'support.ApproveSupportAccessGrant',
      actor: { id: f.admin.id },
      detail: { caseReference: 'CASE-2026-0042', expiresAt: at(3.5), status: 'ACTIVE' },
    });
    const { Item: item } = await f.h.table.doc.send(
      new GetCommand({ TableName: f.h.table.tableName, Key: grantKey(grant.Id) }),
    );
    expect(item?.ttl).toBe((Date.parse(at(3.5)) + RETENTION_MS) / 1000);

    // Expiry by the clock alone: no job, the entitlement is gone and reads say EXPIRED. It is
    // offered while AWS's shortest session (900 s) still fits in the window, no longer.
    f.h.clock.time = new Date(Date.parse(at(3.5)) - 900_000);
    expect(await entitlementsOf(f.h.deps.db, f.engineer.id, f.h.clock.now())).toHaveLength(1);
    f.h.clock.time = new Date(Date.parse(at(3.5)) - 899_999);
    expect(await entitlementsOf(f.h.deps.db, f.engineer.id, f.h.clock.now())).toEqual([]);
    f.h.clock.time = new Date(at(3.5));
    expect(await entitlementsOf(f.h.deps.db, f.engineer.id, f.h.clock.now())).toEqual([]);
    const read = await invoke(readOne, { pathParameters: { grant_id: grant.Id }, caller: f.engineer });
    expect(grantOf(read).Status).toBe('EXPIRED');
    expect((await revokeAs(f.admin, grant.Id)).status).toBe(409);
  });

  it('lets the Admin pick another built-in role', async () => {
    const grant = await requestGrant();
    const response = await approveAs(f.admin, grant.Id, { RoleName: BUILTIN_ROLE_NAMES.developer });
    expect(response.status).toBe(200);
    expect(grantOf(response).RoleName).toBe(BUILTIN_ROLE_NAMES.developer);
    await revokeAs(f.admin, grant.Id);
  });

  it('four eyes: neither the engineer it is for nor its requester approves it', async () => {
    const own = await requestGrant(f.adminEngineer);
    const onBehalf = await requestGrant(f.admin, { UserId: f.engineer.id });
    const before = await f.h.snapshot();
    expect((await approveAs(f.adminEngineer, own.Id)).status).toBe(403);
    expect((await approveAs(f.admin, onBehalf.Id)).status).toBe(403);
    expect(await f.h.snapshot()).toEqual(before);
    expect((await approveAs(f.otherAdmin, onBehalf.Id)).status).toBe(200);
    await revokeAs(f.admin, onBehalf.Id);
    await revokeAs(f.admin, own.Id);
  });

  it.each([
    ['customer_user', 'user'],
    ['customer_readonly', 'user'],
    ['customer_costadmin', 'user'],
    ['api_user', 'token'],
    ['api_readonly', 'token'],
  ] as const)('is refused to %s (403)', async (role, kind) => {
    const grant = await requestGrant();
    const before = await f.h.snapshot();
    expect((await approveAs({ kind, id: f.outsider.id, role }, grant.Id)).status).toBe(403);
    expect((await revokeAs({ kind, id: f.outsider.id, role }, grant.Id)).status).toBe(403);
    expect(await f.h.snapshot()).toEqual(before);
  });

  it('four eyes: an Admin API token does not approve, whoever created it (403, nothing written)', async () => {
    const grant = await requestGrant();
    const before = await f.h.snapshot();
    const response = await approveAs(f.apiAdmin, grant.Id);
    expect(response).toMatchObject({
      status: 403,
      body: {
        Error: expect.stringContaining(
          'four eyes: a person (an Admin user) approves support access, not an API token',
        ),
      },
    });
    expect(await f.h.snapshot()).toEqual(before);
    expect(f.h.audit.events.map((event) => event.staxEventType)).toEqual([
      'support.CreateSupportAccessGrant',
    ]);
    await revokeAs(f.admin, grant.Id);
  });

  it('four eyes: the person who created the API token that asked does not approve', async () => {
    const token: Caller = { ...f.apiAdmin, id: 'AKSTAXIDTESTCREATEDBYADMIN' };
    await f.h.table.doc.send(
      new PutCommand({
        TableName: f.h.table.tableName,
        Item: { ...entityKey(ENTITY.apiToken, token.id), AccessKey: token.id, CreatedBy: f.admin.id },
      }),
    );
    const grant = await requestGrant(token, { UserId: f.engineer.id });
    expect(grant.RequestedBy).toBe(token.id);
    const before = await f.h.snapshot();
    expect((await approveAs(f.admin, grant.Id)).status).toBe(403);
    expect(await f.h.snapshot()).toEqual(before);
    expect((await approveAs(f.otherAdmin, grant.Id)).status).toBe(200);
    await revokeAs(f.admin, grant.Id);
  });

  it('answers 409 for a grant that is not PENDING, 404 for an unknown one, 400 for a bad id or role', async () => {
    const grant = await requestGrant();
    expect((await approveAs(f.admin, grant.Id)).status).toBe(200);
    const again = await approveAs(f.otherAdmin, grant.Id);
    expect(again.status).toBe(409);
    expect((again.body as { Error: string }).Error).toContain(
      'is ACTIVE: only a PENDING grant can be approved',
    );
    expect((await approveAs(f.admin, UNKNOWN_ID)).status).toBe(404);
    expect((await approveAs(f.admin, 'not-an-id')).status).toBe(400);
    const other = await requestGrant();
    const badRole = await approveAs(f.admin, other.Id, { RoleName: 'root' });
    expect(badRole.status).toBe(400);
    expect((badRole.body as { Error: string }).Error).toMatch(/^Body\.RoleName: /);
    await revokeAs(f.admin, grant.Id);
  });

  it('lets a PENDING request lapse after 7 days: EXPIRED, no longer approvable', async () => {
    const grant = await requestGrant();
    f.h.clock.time = new Date(f.h.clock.time.getTime() + 7 * 24 * HOUR);
    const response = await approveAs(f.admin, grant.Id);
    expect(response.status).toBe(409);
    expect((response.body as { Error: string }).Error).toContain('is EXPIRED');
  });
});

describe('support.RevokeSupportAccessGrant', () => {
  it('ends an ACTIVE grant at once: the entitlement is gone, the revocation audited', async () => {
    const grant = await requestGrant(f.engineer, { Scope: { AccountTypeIds: [f.accountTypeId] } });
    await approveAs(f.admin, grant.Id);
    const fromGrant = async () =>
      (await entitlementsOf(f.h.deps.db, f.engineer.id, f.h.clock.now())).filter(
        (entitlement) => entitlement.supportGrantId === grant.Id,
      );
    expect((await fromGrant()).map((entitlement) => entitlement.accountId)).toEqual([f.typedAccount.id]);
    const response = await revokeAs(f.otherAdmin, grant.Id);
    expect(response.status).toBe(200);
    expect(grantOf(response)).toMatchObject({ Status: 'REVOKED', RevokedBy: f.otherAdmin.id });
    expect(await fromGrant()).toEqual([]);
    expect(f.h.audit.events.map((event) => [event.staxEventType, event.detail?.caseReference])).toEqual([
      ['support.CreateSupportAccessGrant', 'CASE-2026-0042'],
      ['support.ApproveSupportAccessGrant', 'CASE-2026-0042'],
      ['support.RevokeSupportAccessGrant', 'CASE-2026-0042'],
    ]);
    expect((await revokeAs(f.admin, grant.Id)).status).toBe(409);
  });

  it('holds only while the engineer stays in the support group', async () => {
    // A role no other test's grant gives, so no longer-lasting grant stands in for this one.
    const grant = await requestGrant(f.engineer, { RoleName: BUILTIN_ROLE_NAMES.admin });
    await approveAs(f.admin, grant.Id);
    const fromGrant = async () =>
      (await entitlementsOf(f.h.deps.db, f.engineer.id, f.h.clock.now())).filter(
        (entitlement) => entitlement.supportGrantId === grant.Id,
      );
    expect(await fromGrant()).toHaveLength(1);
    const membership = await f.h.table.doc.send(
      new QueryCommand({
        TableName: f.h.table.tableName,
        IndexName: 'GSI2',
        KeyConditionExpression: 'GSI2PK = :user AND begins_with(GSI2SK, :group)',
        ExpressionAttributeValues: { ':user': `USER#${f.engineer.id}`, ':group': 'GROUP#' },
      }),
    );
    const [item] = membership.Items ?? [];
    if (!item) throw new Error('the engineer has no membership');
    await f.h.table.doc.send(
      new DeleteCommand({ TableName: f.h.table.tableName, Key: { PK: item.PK, SK: item.SK } }),
    );
    try {
      expect(await fromGrant()).toEqual([]);
    } finally {
      await f.h.table.doc.send(new PutCommand({ TableName: f.h.table.tableName, Item: item }));
      await revokeAs(f.admin, grant.Id);
    }
  });

  it('withdraws a PENDING request', async () => {
    const grant = await requestGrant();
    expect(grantOf(await revokeAs(f.admin, grant.Id)).Status).toBe('REVOKED');
    expect((await approveAs(f.admin, grant.Id)).status).toBe(409);
  });
});

describe('support.ReadSupportAccessGrants and ReadSupportAccessGrant', () => {
  it('shows an Admin every grant and anyone else only the grants that are for them', async () => {
    const mine = await requestGrant(f.engineer);
    const theirs = await requestGrant(f.adminEngineer);
    const ids = async (caller: Caller) => {
      const response = await invoke(readAll, { caller });
      expect(response.status).toBe(200);
      return (response.body as { SupportAccessGrants: GrantBody[] }).SupportAccessGrants.map(
        (grant) => grant.Id,
      );
    };
    const engineerSees = await ids(f.engineer);
    expect(engineerSees).toContain(mine.Id);
    expect(engineerSees).not.toContain(theirs.Id);
    expect(await ids(f.outsider)).toEqual([]);
    expect(await ids({ ...f.apiAdmin, role: 'api_readonly' })).toEqual([]);
    for (const admin of [f.admin, f.apiAdmin])
      expect(await ids(admin)).toEqual(expect.arrayContaining([mine.Id, theirs.Id]));

    const one = (caller: Caller, id: string) => invoke(readOne, { pathParameters: { grant_id: id }, caller });
    expect(grantOf(await one(f.engineer, mine.Id)).CaseReference).toBe('CASE-2026-0042');
    expect((await one(f.engineer, theirs.Id)).status).toBe(404);
    expect((await one(f.outsider, mine.Id)).status).toBe(404);
    expect((await one(f.admin, theirs.Id)).status).toBe(200);
    expect((await one(f.admin, UNKNOWN_ID)).status).toBe(404);
  });
});

describe('concurrent changes', () => {
  it('of six Admins approving the same grant at once, exactly one wins; the others get 409', async () => {
    const grant = await requestGrant();
    f.h.audit.events.length = 0;
    // Every approval reads the PENDING grant before any of them writes: the Version condition decides.
    const db = createDb(f.h.table.tableName, f.h.table.client);
    const send = db.doc.send.bind(db.doc) as (command: unknown) => Promise<unknown>;
    let reads = 0;
    let release = () => {};
    const allRead = new Promise<void>((resolve) => {
      release = resolve;
    });
    (db.doc as unknown as { send: typeof send }).send = async (command) => {
      const result = await send(command);
      if (command instanceof GetCommand && String(command.input.Key?.PK).startsWith('SUPPORTGRANT#')) {
        reads += 1;
        if (reads === 6) release();
        await allRead;
      }
      return result;
    };
    const racing = approveSupportAccessGrantHandler(() => ({ ...f.deps(), db }));
    const admins: Caller[] = Array.from({ length: 6 }, (_, i) => ({
      kind: 'user',
      id: `00000000-0000-4000-8000-0000000009${String(i).padStart(2, '0')}`,
      role: 'customer_admin',
    }));
    const responses = await Promise.all(
      admins.map((caller) =>
        invoke(racing, { method: 'PUT', pathParameters: { grant_id: grant.Id }, caller }),
      ),
    );
    expect(responses.map((response) => response.status).sort()).toEqual([200, 409, 409, 409, 409, 409]);
    const winner = responses.find((response) => response.status === 200);
    const stored = await f.h.table.doc.send(
      new GetCommand({ TableName: f.h.table.tableName, Key: grantKey(grant.Id), ConsistentRead: true }),
    );
    expect(stored.Item).toMatchObject({
      Version: 2,
      Status: 'ACTIVE',
      ApprovedBy: winner && grantOf(winner).ApprovedBy,
    });
    // Each loser wrote its intent, then a FAILURE event naming it.
    const outcomes = f.h.audit.events.map((event) => event.outcome);
    expect(outcomes.filter((outcome) => outcome === 'SUCCESS')).toHaveLength(6);
    expect(outcomes.filter((outcome) => outcome === 'FAILURE')).toHaveLength(5);
    await revokeAs(f.admin, grant.Id);
  });
});
