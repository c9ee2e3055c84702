import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { type AuditReadBudget, DEFAULT_READ_BUDGET } from '@/lambdas/audit/query/audit-events';
import { noCloudTrail } from '@/lambdas/audit/query/corroboration';
import type { AuditQueryDeps } from '@/lambdas/audit/query/deps';
import { FileAuditEventStore } from '@/lambdas/audit/query/event-store';
import { readAuditEventsHandler } from '@/lambdas/audit/query/read-audit-events';
import { type AuditEvent, type AuditTarget, auditEvent, FileAuditSink } from '@/lambdas/shared/audit';
import type { Logger } from '@/lambdas/shared/logger';
import { ADMIN, API_ADMIN, invoke, READONLY, USER } from '@/test/support/api-event';

const NOW = Date.parse('2026-11-30T12:00:00.000Z');
const quiet: Logger = { info: () => {}, warn: () => {}, error: () => {} };

interface Page {
  readonly Events: AuditEvent[];
  readonly NextToken?: string;
}

function handlerOver(root: string, budget: AuditReadBudget = DEFAULT_READ_BUDGET) {
  const deps: AuditQueryDeps = {
    store: new FileAuditEventStore(root),
    cloudTrail: noCloudTrail,
    clock: { now: () => new Date(NOW) },
    logger: quiet,
    budget,
  };
  return readAuditEventsHandler(() => deps);
}

async function query(handler: ReturnType<typeof handlerOver>, params: Record<string, string> = {}) {
  return invoke(handler, { caller: ADMIN, query: params });
}

async function allPages(handler: ReturnType<typeof handlerOver>, params: Record<string, string>) {
  const events: AuditEvent[] = [];
  let token: string | undefined;
  for (let page = 0; page < 1000; page++) {
    const response = await query(handler, { ...params, ...(token && { next_token: token }) });
    expect(response.status).toBe(200);
    const body = response.body as Page;
    events.push(...body.Events);
    token = body.NextToken;
    if (!token) return events;
  }
  throw new Error('paging did not end');
}

const ids = (events: readonly AuditEvent[]) => events.map((event) => event.eventId);

function event(
  time: string,
  type = 'teams.CreateUser',
  actorId = 'admin-1',
  targets: AuditTarget[] = [],
  detail?: Record<string, unknown>,
): AuditEvent {
  return auditEvent({ type, actor: { type: 'user', id: actorId }, targets, detail, time: new Date(time) });
}

async function writeAll(root: string, events: readonly AuditEvent[]): Promise<void> {
  const sink = new FileAuditSink(root);
  for (const e of events) await sink.write(e);
}

describe('audit.ReadAuditEvents over the local file store', () => {
  let root: string;
  const signIn = event('2026-11-30T11:59:00.000Z', 'aws.SignIn', 'user-a', [
    { type: 'account', id: '123456789012' },
  ]);
  const created = event('2026-11-30T11:00:00.000Z', 'teams.CreateUser', 'admin-1', [
    { type: 'user', id: 'user-a' },
  ]);
  const accountChange = event('2026-11-30T10:30:00.000Z', 'accounts.UpdateAccountType', 'admin-2', [], {
    Accounts: ['6d7c1e9a-8a58-4c52-9e0a-1b2c3d4e5f60'],
  });
  const roleInArn = event('2026-11-30T01:00:00.000Z', 'aws.SignIn', 'user-b', [], {
    RoleArn: 'arn:aws:iam::123456789012:role/staxid-admin-role',
  });
  const yesterday = event('2026-11-29T23:59:59.999Z', 'teams.DeleteUser', 'admin-1');
  const lastWeek = event('2026-11-23T08:00:00.000Z', 'teams.CreateGroup', 'admin-1');
  const all = [signIn, created, accountChange, roleInArn, yesterday, lastWeek];

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'staxid-audit-query-'));
    await writeAll(root, all);
    // A stray file in an hour directory is skipped, never a failure.
    await mkdir(join(root, 'events/2026/11/30/11'), { recursive: true });
    await writeFile(join(root, 'events/2026/11/30/11/broken.json'), '{"eventId": ');
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('returns the last 24 hours, newest first, by default', async () => {
    const response = await query(handlerOver(root));

    expect(response.status).toBe(200);
    expect(ids((response.body as Page).Events)).toEqual(
      ids([signIn, created, accountChange, roleInArn, yesterday]),
    );
    expect(response.body).not.toHaveProperty('NextToken');
  });

  it('returns the events as written', async () => {
    const response = await query(handlerOver(root), { type: 'aws.SignIn', to: '2026-11-30T11:59:00Z' });

    expect((response.body as Page).Events).toEqual([signIn, roleInArn]);
  });

  it.each([
    ['type', { type: 'teams.CreateUser' }, [created]],
    ['user_id as actor or user target', { user_id: 'user-a' }, [signIn, created]],
    ['account_id as target or inside an ARN', { account_id: '123456789012' }, [signIn, roleInArn]],
    [
      'Stax account_id in the detail',
      { account_id: '6D7C1E9A-8A58-4C52-9E0A-1B2C3D4E5F60' },
      [accountChange],
    ],
    ['type and user_id together', { type: 'aws.SignIn', user_id: 'user-b' }, [roleInArn]],
    [
      'a window across days',
      { from: '2026-11-29T23:00:00Z', to: '2026-11-30T01:00:00Z' },
      [roleInArn, yesterday],
    ],
    ['a window inside one hour', { from: '2026-11-30T11:00:00.001Z', to: '2026-11-30T11:59:00Z' }, [signIn]],
    [
      'a window with an offset',
      { from: '2026-11-23T09:00:00+01:00', to: '2026-11-23T09:00:00+01:00' },
      [lastWeek],
    ],
  ])('filters by %s', async (_what, params, expected) => {
    const response = await query(handlerOver(root), params);

    expect(response.status).toBe(200);
    expect(ids((response.body as Page).Events)).toEqual(ids(expected));
  });

  it('pages with limit and NextToken, each event once', async () => {
    const handler = handlerOver(root);
    const first = (await query(handler, { limit: '2' })).body as Page;
    const second = (await query(handler, { limit: '2', next_token: first.NextToken ?? '' })).body as Page;
    const third = (await query(handler, { limit: '2', next_token: second.NextToken ?? '' })).body as Page;

    expect(ids(first.Events)).toEqual(ids([signIn, created]));
    expect(ids(second.Events)).toEqual(ids([accountChange, roleInArn]));
    expect(ids(third.Events)).toEqual(ids([yesterday]));
    expect(third.NextToken).toBeUndefined();
  });

  it('stops a sparse window at the read budget and continues from the next hour', async () => {
    const handler = handlerOver(root, { maxEvents: 1000, maxHours: 12 });
    const window = { from: '2026-11-01T00:00:00Z', to: '2026-11-30T12:00:00Z' };
    const first = (await query(handler, window)).body as Page;

    expect(ids(first.Events)).toEqual(ids([signIn, created, accountChange, roleInArn]));
    expect(first.NextToken).toEqual(expect.any(String));
    expect(ids(await allPages(handler, window))).toEqual(ids(all));
  });

  it.each([
    [{ colour: 'blue' }, /^colour: is not a known parameter/],
    [{ type: 'teams.Create User' }, /^type: must be an event type/],
    [{ type: 'teams..CreateUser' }, /^type: must be an event type/],
    [{ user_id: 'a b' }, /^user_id: must be a user id/],
    [{ account_id: '12345' }, /^account_id: must be a 12-digit AWS account id or a Stax account id/],
    [{ from: 'yesterday' }, /^from: must be an ISO 8601 time/],
    [{ to: '2026-11-30' }, /^to: must be an ISO 8601 time/],
    [{ from: '2026-11-30T11:00:00Z', to: '2026-11-30T10:00:00Z' }, /^from: must make from earlier than/],
    [{ from: '2026-10-01T00:00:00Z' }, /^from: the window from\.\.to is longer than 31 days/],
    [{ to: '2026-09-01T00:00:00Z', from: '2026-07-01T00:00:00Z' }, /^from: the window/],
    [{ limit: '0' }, /^limit: must be a whole number from 1 to 500/],
    [{ limit: '501' }, /^limit: must be a whole number from 1 to 500/],
    [{ limit: '2.5' }, /^limit: must be a whole number/],
    [{ next_token: 'garbage' }, /^next_token: is not a NextToken this API returned/],
    [{ next_token: '!!!' }, /^next_token: is not a NextToken this API returned/],
    [
      { next_token: Buffer.from('[1,0,1,"x",5,"id"]').toString('base64url') },
      /^next_token: is not a NextToken/,
    ],
    [{ corroborate: 'yes', type: 'aws.SignIn' }, /^corroborate: must be true or false/],
    [{ corroborate: 'true' }, /^corroborate: applies to AWS sign-ins only/],
    [{ corroborate: 'true', type: 'aws.SignIn', limit: '51' }, /^limit: must be a whole number from 1 to 50/],
  ])('refuses %j with 400 naming the parameter', async (params, message) => {
    const response = await query(handlerOver(root), params);

    expect(response.status).toBe(400);
    expect((response.body as { Error: string }).Error).toMatch(message);
  });

  it('refuses a NextToken replayed with other filters or another window', async () => {
    const handler = handlerOver(root);
    const { NextToken } = (await query(handler, { limit: '1' })).body as Page;
    const token = NextToken ?? '';

    const otherFilter = await query(handler, { limit: '1', type: 'aws.SignIn', next_token: token });
    const otherWindow = await query(handler, { limit: '1', from: '2026-11-30T00:00:00Z', next_token: token });

    expect(otherFilter).toMatchObject({
      status: 400,
      body: { Error: expect.stringMatching(/^next_token: belongs/) },
    });
    expect(otherWindow).toMatchObject({
      status: 400,
      body: { Error: expect.stringMatching(/^from: differs/) },
    });
  });

  it('refuses a NextToken whose position was edited outside its window', async () => {
    const handler = handlerOver(root);
    const { NextToken } = (await query(handler, { limit: '1' })).body as Page;
    const fields = JSON.parse(Buffer.from(NextToken ?? '', 'base64url').toString('utf8'));
    fields[4] = NOW + 60 * 60 * 1000;
    const forged = Buffer.from(JSON.stringify(fields)).toString('base64url');

    const response = await query(handler, { limit: '1', next_token: forged });

    expect(response).toMatchObject({ status: 400, body: { Error: expect.stringMatching(/^next_token: /) } });
  });

  it.each([
    ['a user', USER],
    ['a read-only user', READONLY],
  ])('is refused to %s', async (_who, caller) => {
    const response = await invoke(handlerOver(root), { caller });

    expect(response.status).toBe(403);
  });

  it('is allowed to an admin API token', async () => {
    const response = await invoke(handlerOver(root), { caller: API_ADMIN, query: { limit: '1' } });

    expect(response.status).toBe(200);
  });
});

describe('paging property', () => {
  const start = Date.parse('2026-11-28T00:00:00.000Z');
  const span = 3 * 24 * 60 * 60 * 1000;
  const types = ['aws.SignIn', 'teams.CreateUser', 'oauth2.Token'];
  const users = ['u1', 'u2', 'u3'];
  const arbEvent = fc
    .record({
      offset: fc.integer({ min: 0, max: span - 1 }),
      type: fc.constantFrom(...types),
      actor: fc.constantFrom(...users),
      target: fc.option(fc.constantFrom(...users), { nil: undefined }),
      sameTimeAs: fc.boolean(),
    })
    .map(({ offset, type, actor, target, sameTimeAs }) =>
      event(
        new Date(start + (sameTimeAs ? Math.floor(offset / 3_600_000) * 3_600_000 : offset)).toISOString(),
        type,
        actor,
        target ? [{ type: 'user', id: target }] : [],
      ),
    );
  const arbWindow = fc
    .tuple(fc.integer({ min: 0, max: span }), fc.integer({ min: 0, max: span }))
    .map(([a, b]) => ({ fromMs: start + Math.min(a, b), toMs: start + Math.max(a, b) }));

  it('concatenated pages equal the filtered, newest-first reference, whatever the limit and budget', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(arbEvent, { maxLength: 40 }),
        arbWindow,
        fc.integer({ min: 1, max: 7 }),
        fc.record({ maxEvents: fc.integer({ min: 1, max: 20 }), maxHours: fc.integer({ min: 1, max: 12 }) }),
        fc.option(fc.constantFrom(...types), { nil: undefined }),
        fc.option(fc.constantFrom(...users), { nil: undefined }),
        async (events, window, limit, budget, type, userId) => {
          const root = await mkdtemp(join(tmpdir(), 'staxid-audit-prop-'));
          try {
            await writeAll(root, events);
            const params = {
              from: new Date(window.fromMs).toISOString(),
              to: new Date(window.toMs).toISOString(),
              limit: String(limit),
              ...(type && { type }),
              ...(userId && { user_id: userId }),
            };
            const reference = events
              .filter((e) => {
                const t = Date.parse(e.time);
                return t >= window.fromMs && t <= window.toMs;
              })
              .filter((e) => type === undefined || e.staxEventType === type)
              .filter(
                (e) =>
                  userId === undefined ||
                  e.actor.id === userId ||
                  e.target.some((t) => t.type === 'user' && t.id === userId),
              )
              .sort((a, b) => Date.parse(b.time) - Date.parse(a.time) || (a.eventId < b.eventId ? 1 : -1));

            expect(ids(await allPages(handlerOver(root, budget), params))).toEqual(ids(reference));
          } finally {
            await rm(root, { recursive: true, force: true });
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('audit.ReadAuditEvents by a Stax event name without a domain', () => {
  it('filters by UserAuthenticationEvent, the type of staxid sign-ins', async () => {
    const root = await mkdtemp(join(tmpdir(), 'staxid-audit-query-'));
    try {
      const staxSignIn = event('2026-11-30T11:10:00.000Z', 'UserAuthenticationEvent', 'user-a');
      await writeAll(root, [staxSignIn, event('2026-11-30T11:20:00.000Z', 'aws.SignIn', 'user-a')]);
      const response = await query(handlerOver(root), {
        type: 'UserAuthenticationEvent',
        to: '2026-11-30T12:00:00Z',
      });
      expect(response.status).toBe(200);
      expect(ids((response.body as Page).Events)).toEqual(ids([staxSignIn]));
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
