import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { createAccountTypeHandler } from '@/lambdas/accounts/create-account-type';
import { deleteAccountTypeHandler } from '@/lambdas/accounts/delete-account-type';
import { discoverAccountsHandler } from '@/lambdas/accounts/discover-accounts';
import { updateAccountTypeHandler } from '@/lambdas/accounts/update-account-type';
import { updateAccountTypeAccessHandler } from '@/lambdas/accounts/update-account-type-access';
import { updateAccountTypeMembersHandler } from '@/lambdas/accounts/update-account-type-members';
import { createGroupHandler } from '@/lambdas/groups/create-group';
import { deleteGroupHandler } from '@/lambdas/groups/delete-group';
import { updateGroupHandler } from '@/lambdas/groups/update-group';
import { updateGroupMembersHandler } from '@/lambdas/groups/update-group-members';
import { newId } from '@/lambdas/shared/ids';
import { createHarness, type Harness, putAccount, putUser } from '@/test/lambdas/tasks/harness';
import { ADMIN, type ApiEventInput, invoke } from '@/test/support/api-event';

/**
 * "No audit event, no change", for every operation that changes data: when the audit sink
 * fails the request fails and the table is as before; when it works, the change writes
 * exactly one event, of its operation, naming the caller.
 */

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

let h: Harness;
const deps = () => h.deps;
const fixture = { group: '', emptyGroup: '', type: '', emptyType: '', account: '', user: '' };

beforeAll(async () => {
  h = await createHarness();
  const group = async () => {
    const response = await invoke(createGroupHandler(deps), {
      method: 'POST',
      body: { Name: `G ${newId()}` },
      caller: ADMIN,
    });
    return (response.body as { GroupId: string }).GroupId;
  };
  const type = async () => {
    const response = await invoke(createAccountTypeHandler(deps), {
      method: 'POST',
      body: { Name: `T-${newId()}` },
      caller: ADMIN,
    });
    return (response.body as { Detail: { AccountType: { Id: string } } }).Detail.AccountType.Id;
  };
  fixture.group = await group();
  fixture.emptyGroup = await group();
  fixture.type = await type();
  fixture.emptyType = await type();
  fixture.account = (await putAccount(h)).id;
  fixture.user = await putUser(h);
});
afterAll(() => h.drop());

const CHANGES: readonly [string, Handler, () => ApiEventInput][] = [
  [
    'teams.CreateGroup',
    createGroupHandler(deps),
    () => ({ method: 'POST', body: { Name: `New ${newId()}` } }),
  ],
  [
    'teams.UpdateGroup',
    updateGroupHandler(deps),
    () => ({
      method: 'PUT',
      pathParameters: { group_id: fixture.group },
      body: { Name: `Renamed ${newId()}` },
    }),
  ],
  [
    'teams.UpdateGroupMembers',
    updateGroupMembersHandler(deps),
    () => ({ method: 'PUT', body: { AddMembers: [{ GroupId: fixture.group, UserId: fixture.user }] } }),
  ],
  [
    'teams.DeleteGroup',
    deleteGroupHandler(deps),
    () => ({ method: 'DELETE', pathParameters: { group_id: fixture.emptyGroup } }),
  ],
  [
    'accounts.CreateAccountType',
    createAccountTypeHandler(deps),
    () => ({ method: 'POST', body: { Name: `New-${newId()}` } }),
  ],
  [
    'accounts.UpdateAccountType',
    updateAccountTypeHandler(deps),
    () => ({
      method: 'PUT',
      pathParameters: { account_type_id: fixture.type },
      body: { Name: `Renamed-${newId()}` },
    }),
  ],
  [
    'accounts.UpdateAccountTypeAccess',
    updateAccountTypeAccessHandler(deps),
    () => ({
      method: 'PUT',
      body: { AddRoles: [{ AccountTypeId: fixture.type, GroupId: fixture.group, RoleName: 'readonly' }] },
    }),
  ],
  [
    'accounts.UpdateAccountTypeMembers',
    updateAccountTypeMembersHandler(deps),
    () => ({
      method: 'PUT',
      body: { Members: [{ AccountId: fixture.account, AccountTypeId: fixture.type }] },
    }),
  ],
  [
    'accounts.DeleteAccountType',
    deleteAccountTypeHandler(deps),
    () => ({ method: 'DELETE', pathParameters: { account_type_id: fixture.emptyType } }),
  ],
  ['accounts.DiscoverAccounts', discoverAccountsHandler(deps), () => ({ method: 'POST' })],
];

test.each(CHANGES)(
  '%s: no audit event, no change; one event per change',
  async (operationId, handler, input) => {
    h.audit.failWith = new Error('audit bucket unreachable');
    const logged = jest.spyOn(console, 'error').mockImplementation(() => {});
    const before = await h.snapshot();
    const refused = await invoke(handler, { ...input(), caller: ADMIN });
    expect(refused.status).toBe(503);
    expect(await h.snapshot()).toEqual(before);
    logged.mockRestore();

    h.audit.failWith = undefined;
    h.audit.events.length = 0;
    const done = await invoke(handler, { ...input(), caller: ADMIN });
    expect(done.status).toBe(200);
    expect(await h.snapshot()).not.toEqual(before);
    expect(h.audit.events).toEqual([
      expect.objectContaining({
        staxEventType: operationId,
        outcome: 'SUCCESS',
        actor: { type: 'user', id: ADMIN.id, role: ADMIN.role },
        detail: expect.objectContaining({ taskId: expect.any(String) }),
      }),
    ]);
  },
);
