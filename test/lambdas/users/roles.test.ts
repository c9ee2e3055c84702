/**
 * Every users operation × every role: allowed (the operation's own answer) or 403, and
 * nothing written when refused. ARCHITECTURE §4: Admin everything; User reads and edits
 * their own names; Read Only and Cost & Compliance Admin read; API token roles as the
 * user role of the same level (a token is not a user: it has no "self").
 */

import { isUserRole } from '@/lambdas/shared/roles';
import {
  CALLER_NAMES,
  CALLERS,
  type CallerName,
  newUserBody,
  ORGANISATION_ID,
  startUsersFixture,
  type UsersFixture,
} from '@/test/lambdas/users/fixtures';
import type { ApiEventInput } from '@/test/support/api-event';

let f: UsersFixture;

beforeAll(async () => {
  f = await startUsersFixture();
  // The people behind the user callers exist, so that "self" and FetchCurrentUser mean something.
  for (const name of CALLER_NAMES) {
    const caller = CALLERS[name];
    if (caller.kind === 'user' && isUserRole(caller.role))
      await f.seedUser({ id: caller.id, role: caller.role });
  }
});
afterAll(() => f.stop());

type Operation =
  | 'ReadUsers'
  | 'ReadUser'
  | 'FetchCurrentUser'
  | 'ReadIdamUsers'
  | 'ReadIdamUser'
  | 'CreateUser'
  | 'UpdateUser (another user)'
  | 'UpdateUser (own names)'
  | 'UpdateUserInvite'
  | 'UpdateUserPassword'
  | 'DeleteUser';

const ADMINS: readonly CallerName[] = ['customer_admin', 'api_admin'];
const EVERYONE = CALLER_NAMES;

/** Who may call what; everyone else gets 403. */
const ALLOWED: Record<Operation, readonly CallerName[]> = {
  ReadUsers: EVERYONE,
  ReadUser: EVERYONE,
  FetchCurrentUser: EVERYONE,
  ReadIdamUsers: EVERYONE,
  ReadIdamUser: EVERYONE,
  CreateUser: ADMINS,
  'UpdateUser (another user)': ADMINS,
  // a person with a User or Admin role (Read Only and costadmin only read); a token has no self,
  // but an Admin token may update any user: there is none with its id (404)
  'UpdateUser (own names)': ['customer_admin', 'customer_user', 'api_admin'],
  UpdateUserInvite: ADMINS,
  UpdateUserPassword: ADMINS,
  DeleteUser: ADMINS,
};

/** Builds the request of an operation for a caller, with a fresh target where it changes one. */
async function requestFor(
  operation: Operation,
  name: CallerName,
): Promise<{ handler: keyof UsersFixture['handlers']; input: ApiEventInput; success: number }> {
  const caller = CALLERS[name];
  switch (operation) {
    case 'ReadUsers':
      return { handler: 'readUsers', input: { caller }, success: 200 };
    case 'ReadUser':
      return {
        handler: 'readUser',
        input: { caller, pathParameters: { user_id: CALLERS.customer_admin.id } },
        success: 200,
      };
    case 'FetchCurrentUser':
      // an API token is not a user: allowed, and not found
      return { handler: 'fetchCurrentUser', input: { caller }, success: caller.kind === 'user' ? 200 : 404 };
    case 'ReadIdamUsers':
      return { handler: 'readIdamUsers', input: { caller }, success: 200 };
    case 'ReadIdamUser':
      return {
        handler: 'readIdamUser',
        input: { caller, pathParameters: { org_id: ORGANISATION_ID } },
        success: 200,
      };
    case 'CreateUser':
      return { handler: 'createUser', input: { method: 'POST', caller, body: newUserBody() }, success: 200 };
    case 'UpdateUser (another user)': {
      const target = await f.seedUser();
      return {
        handler: 'updateUser',
        input: {
          method: 'PUT',
          caller,
          pathParameters: { user_id: target.Id },
          body: { FirstName: `By ${name}` },
        },
        success: 200,
      };
    }
    case 'UpdateUser (own names)':
      return {
        handler: 'updateUser',
        input: {
          method: 'PUT',
          caller,
          pathParameters: { user_id: caller.id },
          body: { LastName: `Self ${Date.now()}` },
        },
        success: caller.kind === 'user' ? 200 : 404,
      };
    case 'UpdateUserInvite': {
      const target = await f.seedUser({ status: 'INVITED' });
      return {
        handler: 'updateUserInvite',
        input: { method: 'PUT', caller, pathParameters: { user_id: target.Id } },
        success: 200,
      };
    }
    case 'UpdateUserPassword': {
      const target = await f.seedUser();
      return {
        handler: 'updateUserPassword',
        input: { method: 'PUT', caller, pathParameters: { user_id: target.Id } },
        success: 200,
      };
    }
    case 'DeleteUser': {
      const target = await f.seedUser();
      return {
        handler: 'deleteUser',
        input: { method: 'DELETE', caller, pathParameters: { user_id: target.Id } },
        success: 200,
      };
    }
  }
}

const cases = (Object.keys(ALLOWED) as Operation[]).flatMap((operation) =>
  CALLER_NAMES.map((name) => [operation, name, ALLOWED[operation].includes(name)] as const),
);

describe.each(cases)('%s as %s', (operation, name, allowed) => {
  it(allowed ? 'is allowed' : 'is refused with 403, nothing written', async () => {
    const { handler, input, success } = await requestFor(operation, name);
    const before = await f.snapshot();
    const response = await f.call(f.handlers[handler], input);
    if (allowed) {
      expect(response.status).toBe(success);
    } else {
      expect(response.status).toBe(403);
      expect(response.body).toEqual({ Error: expect.stringContaining(CALLERS[name].role) });
      expect(await f.snapshot()).toEqual(before);
    }
  });
});
