import fc from 'fast-check';
import { AWS_MANAGED_POLICIES } from '@/lambdas/permission-sets/managed-policies';
import {
  parseCreateAssignments,
  parseCreatePermissionSet,
  parseUpdatePermissionSet,
} from '@/lambdas/permission-sets/validation';
import { ValidationError } from '@/lambdas/shared/errors';
import { createFixture, type Fixture, POLICY, specErrors } from '@/test/lambdas/permission-sets/support';
import { ADMIN, invoke } from '@/test/support/api-event';

let f: Fixture;

beforeAll(async () => {
  f = await createFixture();
});
afterAll(() => f.h.drop());

/** Bodies near the valid ones (right field names, random values) and anything at all. */
const policyText = fc.oneof(
  fc.constant(POLICY),
  fc.string(),
  fc.json(),
  fc.constant('{"Version":"2012-10-17","Statement":[]}'),
  fc.constant(
    '{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"iam:*","NotResource":"*"}}',
  ),
);
const fields = fc.record(
  {
    Name: fc.oneof(fc.string({ maxLength: 70 }), fc.stringMatching(/^[\w+=,.@-]{1,64}$/), fc.integer()),
    Description: fc.oneof(fc.string({ maxLength: 1100 }), fc.constant(null)),
    AWSManagedPolicies: fc.array(
      fc.oneof(
        fc.record({ PolicyArn: fc.constantFrom(...AWS_MANAGED_POLICIES.map((p) => p.Arn)) }),
        fc.record({ PolicyArn: fc.string() }),
        fc.anything(),
      ),
      { maxLength: 12 },
    ),
    InlinePolicies: fc.array(
      fc.oneof(
        fc.record({ Name: fc.stringMatching(/^[\w+=,.@-]{1,20}$/), Policy: policyText }),
        fc.anything(),
      ),
      { maxLength: 12 },
    ),
    MaxSessionDuration: fc.oneof(fc.integer({ min: 0, max: 50_000 }), fc.double(), fc.string()),
    Tags: fc.oneof(
      fc.dictionary(fc.string({ maxLength: 110 }), fc.oneof(fc.string({ maxLength: 260 }), fc.integer())),
      fc.anything(),
    ),
  },
  { requiredKeys: [] },
);
const bodies = fc.oneof(fields, fc.anything(), fc.array(fields, { maxLength: 2 }));

describe('request validation, property', () => {
  it('answers every CreatePermissionSet body with 201, 400 naming a field, or 409 — never a 500', async () => {
    await fc.assert(
      fc.asyncProperty(bodies, async (body) => {
        const response = await invoke(f.handlers.create, {
          method: 'POST',
          caller: ADMIN,
          body: JSON.stringify(body) ?? '',
        });
        expect([201, 400, 409]).toContain(response.status);
        if (response.status === 201) {
          expect(specErrors('CreatePermissionSetRecord', body)).toEqual([]);
          expect(specErrors('PermissionSetRecord', response.body)).toEqual([]);
        } else {
          expect(specErrors('ErrorResponse', response.body)).toEqual([]);
          // The field named first: Body, or a path into it (which may quote the caller's own keys).
          expect((response.body as { Error: { Message: string } }).Error.Message).toMatch(/^Body.*: /s);
        }
      }),
      { numRuns: 150 },
    );
  }, 120_000);

  it('parses or refuses any update or assignment body with a ValidationError, nothing else', () => {
    fc.assert(
      fc.property(bodies, (body) => {
        for (const parse of [parseCreatePermissionSet, parseUpdatePermissionSet, parseCreateAssignments]) {
          try {
            parse(body);
          } catch (error) {
            expect(error).toBeInstanceOf(ValidationError);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });
});
