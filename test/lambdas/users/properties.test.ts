/**
 * Property tests (fast-check) over random CreateUser and UpdateUser requests, from random
 * callers: no input produces a 5xx, and any 4xx leaves the table, the user pool, the
 * outbox and the audit trail exactly as they were.
 */
import fc from 'fast-check';
import { API_ROLES, USER_ROLES } from '@/lambdas/shared/roles';
import { CALLER_NAMES, CALLERS, startUsersFixture, type UsersFixture } from '@/test/lambdas/users/fixtures';
import { ADMIN, type ApiEventInput } from '@/test/support/api-event';

let f: UsersFixture;
let targets: string[];

beforeAll(async () => {
  f = await startUsersFixture();
  await f.seedUser({ id: CALLERS.customer_user.id, email: 'self@example.com' });
  targets = [
    CALLERS.customer_user.id,
    (await f.seedUser({ email: 'active@example.com' })).Id,
    (await f.seedUser({ email: 'disabled@example.com', status: 'DISABLED' })).Id,
    (await f.seedUser({ email: 'invited@example.com', status: 'INVITED' })).Id,
    (await f.seedUser({ email: 'federated@example.com', authOrigin: 'sso' })).Id,
    (await f.seedUser({ email: 'deleted@example.com', status: 'DELETED' })).Id,
  ];
});
afterAll(() => f.stop());

const RUNS = Number(process.env.STAXID_PROPERTY_RUNS ?? 60);

const text = fc.oneof(
  fc.string({ maxLength: 140 }),
  fc.string({ unit: 'grapheme', maxLength: 70 }),
  fc.constantFrom('', ' ', 'x'.repeat(128), 'x'.repeat(129), 'Ada', '\u0000', '<script>', 'Zoë'),
);
const email = fc.oneof(
  fc.emailAddress(),
  fc.emailAddress().map((address) => address.toUpperCase()),
  fc.constantFrom(
    'active@example.com',
    'ACTIVE@example.com',
    'self@example.com',
    'a@b.c',
    'not-an-email',
    '',
  ),
  fc.string({ maxLength: 140 }),
);
const role = fc.oneof(
  fc.constantFrom(...USER_ROLES, ...API_ROLES, 'customer_root', 'CUSTOMER_ADMIN'),
  fc.string(),
);
const anyValue = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 2 }),
  fc.object(),
);

/** An object built of the operation's fields (right or wrong), sometimes with an unknown one. */
function bodyOf(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<unknown> {
  const fieldArbitraries = Object.fromEntries(
    Object.entries(fields).map(([name, arbitrary]) => [
      name,
      fc.oneof({ weight: 4, arbitrary }, { weight: 1, arbitrary: anyValue }),
    ]),
  );
  const record = fc.record(fieldArbitraries, { requiredKeys: [] });
  return fc.oneof(
    { weight: 8, arbitrary: record },
    {
      weight: 1,
      arbitrary: fc
        .tuple(record, fc.string({ minLength: 1, maxLength: 10 }), anyValue)
        .map(([body, key, value]) => ({ ...(body as object), [key]: value })),
    },
    { weight: 1, arbitrary: anyValue },
    { weight: 1, arbitrary: fc.string({ maxLength: 50 }).map((raw) => ({ raw })) },
  );
}

/** A body object `{ raw }` is sent as that string, unparsed (malformed JSON and all). */
function asBody(body: unknown): unknown {
  if (typeof body === 'object' && body !== null && 'raw' in body && Object.keys(body).length === 1) {
    return String((body as { raw: unknown }).raw);
  }
  return body;
}

const caller = fc.constantFrom(...CALLER_NAMES).map((name) => CALLERS[name]);

async function check(handler: keyof UsersFixture['handlers'], input: ApiEventInput): Promise<void> {
  const before = await f.snapshot();
  const response = await f.call(f.handlers[handler], input);
  if (response.status >= 500) {
    throw new Error(
      `${handler} answered ${response.status} ${JSON.stringify(response.body)} to ${JSON.stringify(input)}`,
    );
  }
  expect(response.status).toBeLessThan(500);
  if (response.status >= 400) {
    expect(response.body).toEqual({ Error: expect.any(String) });
    expect(await f.snapshot()).toEqual(before);
  }
}

it('CreateUser: never 5xx; a 4xx changes nothing', async () => {
  const body = bodyOf({ Email: email, FirstName: text, LastName: text, Role: role });
  await fc.assert(
    fc.asyncProperty(
      body,
      fc.oneof({ weight: 3, arbitrary: fc.constant(ADMIN) }, { weight: 1, arbitrary: caller }),
      async (generated, who) => {
        await check('createUser', { method: 'POST', caller: who, body: asBody(generated) });
      },
    ),
    { numRuns: RUNS },
  );
});

it('UpdateUser: never 5xx; a 4xx changes nothing', async () => {
  const body = bodyOf({
    Email: email,
    FirstName: text,
    LastName: text,
    Role: role,
    Status: fc.oneof(fc.constantFrom('ACTIVE', 'DISABLED', 'DELETED', 'INVITED', 'active'), fc.string()),
  });
  const target = fc.oneof(
    {
      weight: 6,
      arbitrary: fc
        .constantFrom(...Array.from({ length: 6 }, (_, index) => index))
        .map((index) => targets[index] ?? ''),
    },
    { weight: 1, arbitrary: fc.uuid() },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  );
  await fc.assert(
    fc.asyncProperty(body, target, caller, async (generated, userId, who) => {
      await check('updateUser', {
        method: 'PUT',
        caller: who,
        pathParameters: { user_id: userId },
        body: asBody(generated),
      });
    }),
    { numRuns: RUNS },
  );
});
