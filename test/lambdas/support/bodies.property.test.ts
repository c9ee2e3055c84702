import fc from 'fast-check';
import { BUILTIN_ROLE_NAMES } from '@/lambdas/shared/constants';
import type { Caller } from '@/lambdas/shared/permissions';
import { approveSupportAccessGrantHandler } from '@/lambdas/support/approve-support-access-grant';
import { createSupportAccessGrantHandler } from '@/lambdas/support/create-support-access-grant';
import { createSupportFixture, type SupportFixture } from '@/test/lambdas/support/fixture';
import { UNKNOWN_ID } from '@/test/lambdas/tasks/harness';
import { invoke } from '@/test/support/api-event';

/**
 * support.CreateSupportAccessGrant and ApproveSupportAccessGrant over random bodies — near
 * misses of valid ones and arbitrary JSON — from every kind of caller. Never a 5xx; a refused
 * body writes nothing and audits nothing; an accepted one writes exactly one grant.
 */

let f: SupportFixture;
const create = createSupportAccessGrantHandler(() => f.deps());
const approve = approveSupportAccessGrantHandler(() => f.deps());

beforeAll(async () => {
  f = await createSupportFixture();
});
afterAll(() => f.h.drop());

const anyJson = fc.jsonValue({ maxDepth: 3 });

/** Ids of every kind: real accounts and types by Stax or AWS id, unknown, malformed. */
const ids = () =>
  fc.oneof(
    fc.constantFrom(
      f.typedAccount.id,
      f.looseAccount.id,
      f.looseAccount.awsAccountId,
      f.accountTypeId,
      UNKNOWN_ID,
      '000000000000',
      '12345',
      '',
    ),
    anyJson,
  );

/** A valid body, as is or with one field replaced or removed. */
const nearlyValid = () =>
  fc
    .record({
      field: fc.constantFrom(
        'UserId',
        'CaseReference',
        'Scope',
        'RoleName',
        'DurationHours',
        'Reason',
        'Extra',
      ),
      value: fc.option(anyJson, { nil: undefined }),
      mutate: fc.boolean(),
    })
    .map(({ field, value, mutate }) => {
      const body: Record<string, unknown> = {
        UserId: f.engineer.id,
        CaseReference: 'CASE-7',
        Scope: { AccountIds: [f.looseAccount.awsAccountId], AccountTypeIds: [f.accountTypeId] },
        DurationHours: 12,
      };
      if (mutate) body[field] = value;
      return body;
    });

const createBodies = () =>
  fc.oneof(
    nearlyValid(),
    anyJson,
    fc.record(
      {
        UserId: fc.oneof(fc.constantFrom(f.engineer.id, f.outsider.id, UNKNOWN_ID, 'me'), anyJson),
        CaseReference: fc.oneof(
          fc.string({ maxLength: 140 }),
          fc.constantFrom('CASE-1', ' CASE', 'a'.repeat(128)),
          anyJson,
        ),
        Scope: fc.oneof(
          fc.record(
            {
              AccountIds: fc.oneof(fc.array(ids(), { maxLength: 3 }), anyJson),
              AccountTypeIds: fc.array(ids(), { maxLength: 2 }),
            },
            { requiredKeys: [] },
          ),
          anyJson,
        ),
        RoleName: fc.oneof(fc.constantFrom(...Object.values(BUILTIN_ROLE_NAMES), 'root'), anyJson),
        DurationHours: fc.oneof(fc.integer({ min: -2, max: 80 }), fc.double(), anyJson),
        Reason: fc.oneof(fc.string({ maxLength: 1100 }), anyJson),
        Extra: anyJson,
      },
      { requiredKeys: [] },
    ),
  );

const callers = (): fc.Arbitrary<Caller> =>
  fc.constantFrom(f.engineer, f.adminEngineer, f.admin, f.outsider, f.apiAdmin, {
    ...f.apiAdmin,
    role: 'api_user',
  });

describe('random bodies', () => {
  it('CreateSupportAccessGrant: never a 5xx; refused writes nothing, accepted writes one grant', async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(callers(), createBodies(), async (caller, body) => {
        f.h.audit.events.length = 0;
        const before = await f.h.snapshot();
        const response = await invoke(create, { method: 'POST', body, caller });
        expect(response.status).toBeLessThan(500);
        const after = await f.h.snapshot();
        if (response.status === 201) {
          accepted += 1;
          expect(after).toHaveLength(before.length + 1);
          expect(f.h.audit.events).toHaveLength(1);
        } else {
          expect([400, 403]).toContain(response.status);
          expect((response.body as { Error: string }).Error).toEqual(expect.any(String));
          expect(after).toEqual(before);
          expect(f.h.audit.events).toEqual([]);
        }
      }),
      { numRuns: 150 },
    );
    // The generator reaches the accepting branch, so both halves of the property are exercised.
    expect(accepted).toBeGreaterThan(0);
  });

  it('ApproveSupportAccessGrant: any body but {} or {RoleName: <built-in role>} is a 400 that changes nothing', async () => {
    const created = await invoke(create, {
      method: 'POST',
      caller: f.engineer,
      body: { CaseReference: 'CASE-9', Scope: { AccountIds: [f.looseAccount.id] }, DurationHours: 1 },
    });
    const grantId =
      (created.body as { SupportAccessGrants: { Id: string }[] }).SupportAccessGrants[0]?.Id ?? '';
    const roleNames: readonly unknown[] = Object.values(BUILTIN_ROLE_NAMES);
    // An empty string is no body at all.
    const acceptable = (body: unknown) =>
      body === '' ||
      (typeof body === 'object' &&
        body !== null &&
        !Array.isArray(body) &&
        Object.entries(body).every(([key, value]) => key === 'RoleName' && roleNames.includes(value)));
    const refused = fc
      .oneof(
        anyJson,
        fc.record({ RoleName: fc.oneof(fc.string(), anyJson), Other: anyJson }, { requiredKeys: [] }),
      )
      .filter((body) => !acceptable(body));
    await fc.assert(
      fc.asyncProperty(refused, async (body) => {
        const before = await f.h.snapshot();
        const response = await invoke(approve, {
          method: 'PUT',
          pathParameters: { grant_id: grantId },
          caller: f.admin,
          body,
        });
        expect(response.status).toBe(400);
        expect((response.body as { Error: string }).Error).toMatch(/^(Body|Content-Type)/);
        expect(await f.h.snapshot()).toEqual(before);
      }),
      { numRuns: 100 },
    );
  });
});
