/**
 * Two limits of the permission-sets API that keep staxid's own use of a role safe: the
 * inline policies leave room for the session-revocation policy (ADR 0013), and tag keys
 * staxid or IAM reserve are refused (a role's tags become its sessions' principal tags).
 */
import { parseCreatePermissionSet, parseUpdatePermissionSet } from '@/lambdas/permission-sets/validation';
import {
  PERMISSION_SET_INLINE_POLICY_LIMIT,
  REVOCATION_POLICY_BUDGET,
  ROLE_INLINE_POLICY_LIMIT,
} from '@/lambdas/revocation/revocation-policy';
import { ValidationError } from '@/lambdas/shared/errors';
import { createFixture, type Fixture, POLICY, specErrors } from '@/test/lambdas/permission-sets/support';
import { ADMIN, invoke } from '@/test/support/api-event';

let f: Fixture;

beforeAll(async () => {
  f = await createFixture();
});
afterAll(() => f.h.drop());

/** A valid policy document whose minified JSON is exactly `length` characters long. */
function policyOf(length: number): string {
  const shape = (sid: string) =>
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Sid: sid, Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
    });
  const document = shape('S'.repeat(length - shape('').length));
  expect(document).toHaveLength(length);
  return document;
}

/** Inline policies whose minified JSON totals `total` characters, split over two policies. */
function inlineTotalling(total: number) {
  const first = Math.floor(total / 2);
  return [
    { Name: 'first', Policy: policyOf(first) },
    { Name: 'second', Policy: policyOf(total - first) },
  ];
}

function refusal(parse: () => unknown): ValidationError {
  try {
    parse();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('room for session revocation in the inline policies', () => {
  test('the maximum is IAM’s per-role limit less the revocation budget: 8192 characters', () => {
    expect(PERMISSION_SET_INLINE_POLICY_LIMIT).toBe(8192);
    expect(PERMISSION_SET_INLINE_POLICY_LIMIT + REVOCATION_POLICY_BUDGET).toBe(ROLE_INLINE_POLICY_LIMIT);
  });

  test.each([
    ['CreatePermissionSet', (body: object) => parseCreatePermissionSet({ Name: 'Big', ...body })],
    ['UpdatePermissionSet', (body: object) => parseUpdatePermissionSet(body)],
  ])(
    '%s: the maximum total passes, one character more is refused naming the total, the maximum and why',
    (_, parse) => {
      const atMaximum = inlineTotalling(PERMISSION_SET_INLINE_POLICY_LIMIT);
      expect(parse({ InlinePolicies: atMaximum })).toMatchObject({ InlinePolicies: atMaximum });

      const error = refusal(() =>
        parse({ InlinePolicies: inlineTotalling(PERMISSION_SET_INLINE_POLICY_LIMIT + 1) }),
      );

      expect(error.field).toBe('Body.InlinePolicies');
      expect(error.message).toBe(
        "Body.InlinePolicies: total 8193 characters without whitespace; at most 8192 are allowed, because staxid keeps room for session revocation (2048 of IAM's 10240 per role): shorten them or use AWS managed policies instead",
      );
    },
  );

  test('whitespace is not counted, as IAM does not count it', () => {
    const spaced = inlineTotalling(PERMISSION_SET_INLINE_POLICY_LIMIT).map((policy) => ({
      ...policy,
      Policy: JSON.stringify(JSON.parse(policy.Policy), null, 2),
    }));
    expect(spaced.reduce((sum, policy) => sum + policy.Policy.length, 0)).toBeGreaterThan(
      PERMISSION_SET_INLINE_POLICY_LIMIT,
    );

    expect(parseCreatePermissionSet({ Name: 'Spaced', InlinePolicies: spaced }).InlinePolicies).toEqual(
      spaced,
    );
  });

  test('the API answers 400 naming Body.InlinePolicies and writes nothing, on create and on update', async () => {
    const tooMuch = inlineTotalling(PERMISSION_SET_INLINE_POLICY_LIMIT + 1);
    const created = await invoke(f.handlers.create, {
      method: 'POST',
      caller: ADMIN,
      body: { Name: 'RoomKeeper', InlinePolicies: [{ Name: 'read', Policy: POLICY }] },
    });
    expect(created.status).toBe(201);
    const before = await f.h.snapshot();

    const refusedCreate = await invoke(f.handlers.create, {
      method: 'POST',
      caller: ADMIN,
      body: { Name: 'TooBig', InlinePolicies: tooMuch },
    });
    const refusedUpdate = await invoke(f.handlers.update, {
      method: 'PUT',
      caller: ADMIN,
      pathParameters: { permission_set_id: (created.body as { Id: string }).Id },
      body: { InlinePolicies: tooMuch },
    });

    for (const response of [refusedCreate, refusedUpdate]) {
      expect(response.status).toBe(400);
      expect(specErrors('ErrorResponse', response.body)).toEqual([]);
      expect((response.body as { Error: { Message: string } }).Error.Message).toMatch(
        /^Body\.InlinePolicies: total 8193 characters .* session revocation/,
      );
    }
    expect(await f.h.snapshot()).toEqual(before);
  });
});

describe('reserved tag keys', () => {
  test.each(['staxid-support-case', 'StaxId-Team', 'STAXID', 'aws:cloudformation:stack-name', 'AWS:Owner'])(
    'refuses %s, naming the key and why',
    (key) => {
      const error = refusal(() => parseCreatePermissionSet({ Name: 'Tagged', Tags: { [key]: 'x' } }));

      expect(error.field).toBe('Body.Tags');
      expect(error.message).toContain(`tag key ${JSON.stringify(key)} is reserved`);
      expect(error.message).toContain("staxid's own session tags");
      expect(error.message).toContain('IAM refuses keys starting with "aws:"');
    },
  );

  test.each(['stax-team', 'awsome', 'team:aws:x', 'cost-centre'])('accepts %s', (key) => {
    expect(parseUpdatePermissionSet({ Tags: { [key]: 'x' } })).toEqual({ Tags: { [key]: 'x' } });
  });
});
