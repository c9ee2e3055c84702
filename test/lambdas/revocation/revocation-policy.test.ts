import {
  cutoffFor,
  parseRevocationPolicy,
  pruneExpired,
  type Revocation,
  RevocationPolicyTooLargeError,
  ROLE_INLINE_POLICY_LIMIT,
  renderRevocationPolicy,
  withoutUser,
  withRevocation,
} from '@/lambdas/revocation/revocation-policy';
import { isTransient, withRetries } from '@/lambdas/shared/retry';

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
    const document = renderRevocationPolicy([revocation(2), revocation(1)]);

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
    expect(renderRevocationPolicy([])).toBeUndefined();
  });

  test('round-trips through parseRevocationPolicy', () => {
    const revocations = [revocation(1), revocation(2, '2026-11-30T11:30:00Z')];

    expect(parseRevocationPolicy(renderRevocationPolicy(revocations))).toEqual(revocations);
  });

  test('past IAM’s 10,240-character limit, denies every user in one statement with the latest cut-off', () => {
    const many = Array.from({ length: 60 }, (_, n) =>
      revocation(n, n === 7 ? '2026-11-30T11:59:00Z' : undefined),
    );

    const document = renderRevocationPolicy(many) ?? '';

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
    expect(renderRevocationPolicy(withRevocation(parsed, revocation(3)))).toBe(document);
  });

  test('fails loudly when even one combined statement would not fit', () => {
    const tooMany = Array.from({ length: 300 }, (_, n) => revocation(n));

    expect(() => renderRevocationPolicy(tooMany)).toThrow(RevocationPolicyTooLargeError);
    expect(() => renderRevocationPolicy(tooMany)).toThrow(/over IAM's 10240-character limit/);
  });

  test('keeps one statement per user while they fit', () => {
    const fitting = Array.from({ length: 40 }, (_, n) => revocation(n));

    expect(JSON.parse(renderRevocationPolicy(fitting) ?? '').Statement).toHaveLength(40);
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
