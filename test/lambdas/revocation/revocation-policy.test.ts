import fc from 'fast-check';
import {
  cutoffFor,
  deniesEverySession,
  EVERY_SESSION,
  inlinePolicyCharacters,
  PERMISSION_SET_INLINE_POLICY_LIMIT,
  parseRevocationPolicy,
  pruneExpired,
  REVOCATION_POLICY_BUDGET,
  type Revocation,
  ROLE_INLINE_POLICY_LIMIT,
  renderRevocationPolicy,
  withoutUser,
  withRevocation,
} from '@/lambdas/revocation/revocation-policy';
import { isTransient, withRetries } from '@/lambdas/shared/retry';

/** A built-in role's budget: IAM's whole limit. */
const LIMIT = ROLE_INLINE_POLICY_LIMIT;
const userId = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const revocation = (n: number, issuedBefore = '2026-11-30T11:07:00Z'): Revocation => ({
  userId: userId(n),
  issuedBefore,
});

describe('cutoffFor', () => {
  test('is 7 minutes after the change, rounded up to a whole second', () => {
    expect(cutoffFor(new Date('2026-11-30T11:00:00.250Z'))).toBe('2026-11-30T11:07:01Z');
  });
});

describe('renderRevocationPolicy', () => {
  test('is valid IAM JSON, minified, one statement per user in user id order', () => {
    const document = renderRevocationPolicy([revocation(2), revocation(1)], LIMIT);

    expect(document).toBeDefined();
    expect(document).not.toMatch(/\s/);
    const policy = JSON.parse(document ?? '');
    expect(policy.Version).toBe('2012-10-17');
    expect(policy.Statement.map((s: { Sid: string }) => s.Sid)).toEqual([
      'Revoke00000000000040008000000000000001',
      'Revoke00000000000040008000000000000002',
    ]);
    for (const statement of policy.Statement) expect(statement.Sid).toMatch(/^[A-Za-z0-9]+$/);
  });

  test('is undefined when nothing is revoked (the policy is deleted)', () => {
    expect(renderRevocationPolicy([], LIMIT)).toBeUndefined();
  });

  test('round-trips through parseRevocationPolicy', () => {
    const revocations = [revocation(1), revocation(2, '2026-11-30T11:30:00Z')];

    expect(parseRevocationPolicy(renderRevocationPolicy(revocations, LIMIT))).toEqual(revocations);
  });

  test('past IAM’s 10,240-character limit, denies every user in one statement with the latest cut-off', () => {
    const many = Array.from({ length: 60 }, (_, n) =>
      revocation(n, n === 7 ? '2026-11-30T11:59:00Z' : undefined),
    );

    const document = renderRevocationPolicy(many, LIMIT) ?? '';

    expect(document.length).toBeLessThanOrEqual(ROLE_INLINE_POLICY_LIMIT);
    expect(JSON.parse(document).Statement).toEqual([
      {
        Sid: 'RevokeMany',
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: {
          StringEquals: { 'aws:SourceIdentity': many.map((r) => r.userId) },
          DateLessThan: { 'aws:TokenIssueTime': '2026-11-30T11:59:00Z' },
        },
      },
    ]);
    // Parsed back, every user keeps a revocation (with the latest cut-off); replaying one changes nothing.
    const parsed = parseRevocationPolicy(document);
    expect(parsed.map((r) => r.userId).sort()).toEqual(many.map((r) => r.userId));
    expect(renderRevocationPolicy(withRevocation(parsed, revocation(3)), LIMIT)).toBe(document);
  });

  test('fails closed when even one combined statement would not fit: every session before the latest cut-off is denied', () => {
    const tooMany = Array.from({ length: 300 }, (_, n) =>
      revocation(n, n === 7 ? '2026-11-30T11:59:00Z' : undefined),
    );

    const document = renderRevocationPolicy(tooMany, LIMIT) ?? '';

    expect(JSON.parse(document).Statement).toEqual([
      {
        Sid: 'RevokeEverySession',
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: { DateLessThan: { 'aws:TokenIssueTime': '2026-11-30T11:59:00Z' } },
      },
    ]);
    expect(deniesEverySession(document)).toBe(true);
    expect(parseRevocationPolicy(document)).toEqual([
      { userId: EVERY_SESSION, issuedBefore: '2026-11-30T11:59:00Z' },
    ]);
  });

  test('after failing closed, a user revoked later is named beside it, and one it already covers is not', () => {
    const collapsed = parseRevocationPolicy(
      renderRevocationPolicy(
        Array.from({ length: 300 }, (_, n) => revocation(n)),
        LIMIT,
      ),
    );
    const later = revocation(900, '2026-11-30T12:30:00Z');
    const covered = revocation(901, '2026-11-30T11:00:00Z');

    const document = renderRevocationPolicy([...collapsed, later, covered], LIMIT) ?? '';

    expect(parseRevocationPolicy(document)).toEqual([
      { userId: EVERY_SESSION, issuedBefore: '2026-11-30T11:07:00Z' },
      later,
    ]);
    // Replayed, nothing changes; pruned after 12 hours like any statement.
    expect(renderRevocationPolicy(parseRevocationPolicy(document), LIMIT)).toBe(document);
    expect(pruneExpired(parseRevocationPolicy(document), new Date('2026-12-01T00:00:00Z'))).toEqual([later]);
  });

  test('keeps one statement per user while they fit', () => {
    const fitting = Array.from({ length: 40 }, (_, n) => revocation(n));

    expect(JSON.parse(renderRevocationPolicy(fitting, LIMIT) ?? '').Statement).toHaveLength(40);
  });
});

describe('renderRevocationPolicy on a permission-set role (REVOCATION_POLICY_BUDGET)', () => {
  const budget = REVOCATION_POLICY_BUDGET;
  const users = (count: number) => Array.from({ length: count }, (_, n) => revocation(n));

  test('1 user: one statement, well inside the budget', () => {
    const document = renderRevocationPolicy(users(1), budget) ?? '';

    expect(JSON.parse(document).Statement).toHaveLength(1);
    expect(document.length).toBeLessThanOrEqual(budget);
  });

  test('30 users: the combined statement, inside the budget, denying all 30', () => {
    const document = renderRevocationPolicy(users(30), budget) ?? '';

    expect(document.length).toBeLessThanOrEqual(budget);
    expect(parseRevocationPolicy(document).map((r) => r.userId)).toEqual(users(30).map((r) => r.userId));
    // The same 30 on a built-in role still get a statement each.
    expect(JSON.parse(renderRevocationPolicy(users(30), LIMIT) ?? '').Statement).toHaveLength(30);
  });

  test('200 users: every session before the cut-off denied, inside the budget, never a document over it', () => {
    const document = renderRevocationPolicy(users(200), budget) ?? '';

    expect(document.length).toBeLessThanOrEqual(budget);
    expect(deniesEverySession(document)).toBe(true);
  });

  test('the budget holds 46 users with UUID ids in the combined statement, as documented; 47 fail closed', () => {
    const fortySix = renderRevocationPolicy(users(46), budget) ?? '';
    expect(fortySix.length).toBeLessThanOrEqual(budget);
    expect(deniesEverySession(fortySix)).toBe(false);
    expect(deniesEverySession(renderRevocationPolicy(users(47), budget))).toBe(true);
  });

  test('property: whatever the users and cut-offs, a document is never over the budget, and denies each user', () => {
    const revocations = fc.uniqueArray(
      fc.record({
        userId: fc.uuid(),
        issuedBefore: fc
          .integer({
            min: Date.parse('2026-01-01T00:00:00Z') / 1000,
            max: Date.parse('2027-01-01T00:00:00Z') / 1000,
          })
          .map((seconds) => new Date(seconds * 1000).toISOString().replace('.000Z', 'Z')),
      }),
      { minLength: 1, maxLength: 200, selector: (r) => r.userId },
    );
    fc.assert(
      fc.property(revocations, fc.constantFrom(budget, LIMIT), (list, roleBudget) => {
        const document = renderRevocationPolicy(list, roleBudget);
        expect(document?.length).toBeLessThanOrEqual(roleBudget);
        // Every revoked session is denied: its user is named with a cut-off at least as late,
        // or every session before a cut-off at least as late is.
        const denied = parseRevocationPolicy(document);
        for (const r of list) {
          expect(
            denied.some(
              (d) =>
                (d.userId === r.userId || d.userId === EVERY_SESSION) && d.issuedBefore >= r.issuedBefore,
            ),
          ).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('inlinePolicyCharacters', () => {
  test('counts a document as IAM does: whitespace between tokens is not counted', () => {
    const minified =
      '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}';
    const spaced = JSON.stringify(JSON.parse(minified), null, 4);

    expect(inlinePolicyCharacters([spaced])).toBe(minified.length);
    expect(inlinePolicyCharacters([spaced, minified])).toBe(2 * minified.length);
  });

  test('leaves a permission set IAM’s limit less the revocation budget', () => {
    expect(PERMISSION_SET_INLINE_POLICY_LIMIT).toBe(ROLE_INLINE_POLICY_LIMIT - REVOCATION_POLICY_BUDGET);
  });
});

describe('withRevocation / withoutUser', () => {
  test('replaces a user’s revocation and never touches another user’s', () => {
    const both = withRevocation([revocation(1), revocation(2)], revocation(1, '2026-12-01T00:00:00Z'));

    expect(both).toEqual([revocation(2), revocation(1, '2026-12-01T00:00:00Z')]);
    expect(withoutUser(both, userId(1))).toEqual([revocation(2)]);
  });
});

describe('pruneExpired', () => {
  test('keeps a cut-off younger than 12 h 15 min, drops an older one', () => {
    const now = new Date('2026-11-30T12:15:00Z');

    expect(
      pruneExpired([revocation(1, '2026-11-30T00:00:01Z'), revocation(2, '2026-11-29T23:59:59Z')], now),
    ).toEqual([revocation(1, '2026-11-30T00:00:01Z')]);
  });
});

describe('withRetries', () => {
  const throttled = () => Object.assign(new Error('slow down'), { name: 'Throttling' });

  test('sleeps a random time up to min(cap, base·2^attempt) between attempts (full jitter)', async () => {
    const sleeps: number[] = [];
    let calls = 0;
    const result = await withRetries(
      async () => {
        if (++calls < 4) throw throttled();
        return 'done';
      },
      { sleep: async (ms) => void sleeps.push(ms), random: () => 1, baseMs: 100, capMs: 300 },
    );

    expect(result).toBe('done');
    expect(sleeps).toEqual([100, 200, 300]);
  });

  test('gives up after the attempts and throws the last error', async () => {
    let calls = 0;
    const failing = withRetries(
      async () => {
        calls++;
        throw throttled();
      },
      { attempts: 3, sleep: async () => {} },
    );

    await expect(failing).rejects.toThrow('slow down');
    expect(calls).toBe(3);
  });

  test.each([
    ['Throttling', true],
    ['ThrottlingException', true],
    ['ServiceFailure', true],
    ['AccessDenied', false],
    ['NoSuchEntity', false],
  ])('%s is transient: %s', (name, transient) => {
    expect(isTransient(Object.assign(new Error(name), { name }))).toBe(transient);
  });
});
