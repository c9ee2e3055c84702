/**
 * Bad input to the users operations: 400 naming the field, 404 for unknown ids, and
 * nothing written (table, user pool, outbox, audit trail) on any error.
 */

import {
  newUserBody,
  ORGANISATION_ID,
  startUsersFixture,
  type UsersFixture,
} from '@/test/lambdas/users/fixtures';
import type { ApiEventInput } from '@/test/support/api-event';
import { ADMIN } from '@/test/support/api-event';

let f: UsersFixture;
const existing = '55555555-5555-4555-8555-555555555551';
const deleted = '55555555-5555-4555-8555-555555555552';

beforeAll(async () => {
  f = await startUsersFixture();
  await f.seedUser({ id: existing, email: 'existing@example.com' });
  await f.seedUser({ id: deleted, status: 'DELETED' });
});
afterAll(() => f.stop());

const UNKNOWN = '44444444-4444-4444-8444-444444444444';
const LONG = 'x'.repeat(129);

type HandlerName = keyof UsersFixture['handlers'];

const create = (body: unknown, extra: Partial<ApiEventInput> = {}): [HandlerName, ApiEventInput] => [
  'createUser',
  { method: 'POST', caller: ADMIN, body, ...extra },
];
const update = (body: unknown, userId?: string): [HandlerName, ApiEventInput] => [
  'updateUser',
  { method: 'PUT', caller: ADMIN, body, pathParameters: { user_id: userId ?? existing } },
];

/** [what, request, status, the Error it must say] */
const cases: ReadonlyArray<readonly [string, () => [HandlerName, ApiEventInput], number, string | RegExp]> = [
  ['CreateUser: malformed JSON', () => create('{"Email": "a@b.com",'), 400, /^Body: is not valid JSON/],
  ['CreateUser: no body', () => create(undefined), 400, 'Body: is required: send a JSON object'],
  ['CreateUser: an array', () => create([newUserBody()]), 400, /^Body: must be object/],
  [
    'CreateUser: unknown field',
    () => create(newUserBody({ Admin: true })),
    400,
    /^Body\.Admin: is not a known field/,
  ],
  [
    'CreateUser: Email of the wrong type',
    () => create(newUserBody({ Email: 42 })),
    400,
    /^Body\.Email: must be string/,
  ],
  [
    'CreateUser: Email not an address',
    () => create(newUserBody({ Email: 'not-an-email' })),
    400,
    /^Body\.Email: must match format "email"/,
  ],
  [
    'CreateUser: Email missing',
    () => create({ FirstName: 'A', LastName: 'B' }),
    400,
    'Body.Email: is required',
  ],
  [
    'CreateUser: FirstName too long',
    () => create(newUserBody({ FirstName: LONG })),
    400,
    /^Body\.FirstName: must NOT have more than 128 characters/,
  ],
  [
    'CreateUser: LastName empty',
    () => create(newUserBody({ LastName: '' })),
    400,
    /^Body\.LastName: must NOT have fewer than 1 characters/,
  ],
  [
    'CreateUser: Email too long',
    () => create(newUserBody({ Email: `${'a'.repeat(120)}@example.com` })),
    400,
    /^Body\.Email: must NOT have more than 128 characters/,
  ],
  [
    'CreateUser: Role unknown',
    () => create(newUserBody({ Role: 'customer_root' })),
    400,
    /^Body\.Role: must be one of/,
  ],
  [
    'CreateUser: Role of an API token',
    () => create(newUserBody({ Role: 'api_admin' })),
    400,
    /^Body\.Role: must be one of/,
  ],
  [
    'CreateUser: body over 64 KiB',
    () => create(newUserBody({ Padding: 'x'.repeat(70 * 1024) })),
    400,
    /^Body: is larger than 64 KiB/,
  ],
  [
    'CreateUser: not JSON',
    () => create('Email=a@b.com', { headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }),
    400,
    /^Content-Type: must be application\/json/,
  ],
  [
    'CreateUser: email taken',
    () => create(newUserBody({ Email: 'EXISTING@example.com' })),
    409,
    /already belongs to a user/,
  ],
  [
    'UpdateUser: user_id not a UUID',
    () => update({ FirstName: 'A' }, 'not-a-uuid'),
    400,
    /^user_id: must be a user id \(a UUID/,
  ],
  ['UpdateUser: unknown user', () => update({ FirstName: 'A' }, UNKNOWN), 404, `User "${UNKNOWN}" not found`],
  ['UpdateUser: deleted user', () => update({ FirstName: 'A' }, deleted), 404, `User "${deleted}" not found`],
  ['UpdateUser: nothing to change', () => update({}), 400, /^Body: names nothing to change/],
  ['UpdateUser: unknown field', () => update({ Groups: [] }), 400, /^Body\.Groups: is not a known field/],
  [
    'UpdateUser: Status DELETED',
    () => update({ Status: 'DELETED' }),
    400,
    /^Body\.Status: must be one of "ACTIVE", "DISABLED"/,
  ],
  [
    'UpdateUser: LastName too long',
    () => update({ LastName: LONG }),
    400,
    /^Body\.LastName: must NOT have more than 128/,
  ],
  ['UpdateUser: FirstName null', () => update({ FirstName: null }), 400, /^Body\.FirstName: must be string/],
  ['UpdateUser: email taken', () => update({ Email: 'taken@example.com' }), 409, /already belongs to a user/],
  [
    'ReadUsers: unknown filter',
    () => ['readUsers', { caller: ADMIN, query: { filter: 'Everyone' } }],
    400,
    /^filter: must be Team, Federated/,
  ],
  [
    'ReadUsers: unknown status',
    () => ['readUsers', { caller: ADMIN, query: { status_filter: 'ACTIVE,GONE' } }],
    400,
    /^status_filter: must be a comma-separated list/,
  ],
  [
    'ReadUsers: id_filter not UUIDs',
    () => ['readUsers', { caller: ADMIN, query: { id_filter: `${existing},1` } }],
    400,
    /^id_filter: .*"1" is not one/,
  ],
  [
    'ReadUser: not a UUID',
    () => ['readUser', { caller: ADMIN, pathParameters: { user_id: '../etc' } }],
    400,
    /^user_id: must be a user id/,
  ],
  [
    'ReadUser: unknown',
    () => ['readUser', { caller: ADMIN, pathParameters: { user_id: UNKNOWN } }],
    404,
    `User "${UNKNOWN}" not found`,
  ],
  [
    'ReadUser: a body',
    () => ['readUser', { caller: ADMIN, pathParameters: { user_id: existing }, body: { Id: existing } }],
    400,
    /^Body: this operation takes no request body/,
  ],
  [
    'ReadIdamUser: not a UUID',
    () => ['readIdamUser', { caller: ADMIN, pathParameters: { org_id: 'org' } }],
    400,
    /^org_id: must be an OrganisationId/,
  ],
  [
    'DeleteUser: unknown',
    () => ['deleteUser', { method: 'DELETE', caller: ADMIN, pathParameters: { user_id: UNKNOWN } }],
    404,
    `User "${UNKNOWN}" not found`,
  ],
  [
    'DeleteUser: not a UUID',
    () => ['deleteUser', { method: 'DELETE', caller: ADMIN, pathParameters: { user_id: 'x' } }],
    400,
    /^user_id:/,
  ],
  [
    'DeleteUser: already deleted',
    () => ['deleteUser', { method: 'DELETE', caller: ADMIN, pathParameters: { user_id: deleted } }],
    404,
    `User "${deleted}" not found`,
  ],
  [
    'UpdateUserInvite: unknown',
    () => ['updateUserInvite', { method: 'PUT', caller: ADMIN, pathParameters: { user_id: UNKNOWN } }],
    404,
    `User "${UNKNOWN}" not found`,
  ],
  [
    'UpdateUserInvite: not a UUID',
    () => ['updateUserInvite', { method: 'PUT', caller: ADMIN, pathParameters: { user_id: '1' } }],
    400,
    /^user_id:/,
  ],
  [
    'UpdateUserInvite: a body',
    () => [
      'updateUserInvite',
      { method: 'PUT', caller: ADMIN, pathParameters: { user_id: existing }, body: { a: 1 } },
    ],
    400,
    /^Body: this operation takes no request body/,
  ],
  [
    'UpdateUserPassword: unknown',
    () => ['updateUserPassword', { method: 'PUT', caller: ADMIN, pathParameters: { user_id: UNKNOWN } }],
    404,
    `User "${UNKNOWN}" not found`,
  ],
  [
    'UpdateUserPassword: deleted',
    () => ['updateUserPassword', { method: 'PUT', caller: ADMIN, pathParameters: { user_id: deleted } }],
    404,
    `User "${deleted}" not found`,
  ],
];

beforeAll(async () => {
  await f.seedUser({ email: 'taken@example.com' });
});

describe.each(cases)('%s', (_what, request, status, error) => {
  it(`answers ${status} and writes nothing`, async () => {
    const [handler, input] = request();
    const before = await f.snapshot();
    const response = await f.call(f.handlers[handler], input);
    expect(response.status).toBe(status);
    const message = (response.body as { Error?: unknown }).Error;
    if (typeof error === 'string') expect(message).toBe(error);
    else expect(message).toMatch(error);
    expect(await f.snapshot()).toEqual(before);
  });
});

it('ReadIdamUser: another organisation is not found', async () => {
  const other = ORGANISATION_ID.replace(/^./, (c) => (c === 'a' ? 'b' : 'a'));
  const response = await f.call(f.handlers.readIdamUser, {
    caller: ADMIN,
    pathParameters: { org_id: other },
  });
  expect(response).toMatchObject({ status: 404, body: { Error: `Organisation "${other}" not found` } });
});
