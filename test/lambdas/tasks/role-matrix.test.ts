import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { createAccountTypeHandler } from '@/lambdas/accounts/create-account-type';
import { deleteAccountTypeHandler } from '@/lambdas/accounts/delete-account-type';
import { discoverAccountsHandler } from '@/lambdas/accounts/discover-accounts';
import { readAccountHandler } from '@/lambdas/accounts/read-account';
import { readAccountTypeHandler } from '@/lambdas/accounts/read-account-type';
import { readAccountTypesHandler } from '@/lambdas/accounts/read-account-types';
import { readAccountsHandler } from '@/lambdas/accounts/read-accounts';
import { ACCOUNT_ROUTES } from '@/lambdas/accounts/routes';
import { updateAccountTypeHandler } from '@/lambdas/accounts/update-account-type';
import { updateAccountTypeAccessHandler } from '@/lambdas/accounts/update-account-type-access';
import { updateAccountTypeMembersHandler } from '@/lambdas/accounts/update-account-type-members';
import { createGroupHandler } from '@/lambdas/groups/create-group';
import { deleteGroupHandler } from '@/lambdas/groups/delete-group';
import { readGroupHandler } from '@/lambdas/groups/read-group';
import { readGroupsHandler } from '@/lambdas/groups/read-groups';
import { GROUP_ROUTES } from '@/lambdas/groups/routes';
import { updateGroupHandler } from '@/lambdas/groups/update-group';
import { updateGroupMembersHandler } from '@/lambdas/groups/update-group-members';
import { newId } from '@/lambdas/shared/ids';
import { OPERATION_ACCESS, type OperationId } from '@/lambdas/shared/permissions';
import { hasLevel } from '@/lambdas/shared/roles';
import { readConfigHandler } from '@/lambdas/tasks/read-config';
import { readTaskHandler } from '@/lambdas/tasks/read-task';
import { TASK_ROUTES } from '@/lambdas/tasks/routes';
import { CALLERS, createHarness, type Harness, UNKNOWN_ID } from '@/test/lambdas/tasks/harness';
import { type ApiEventInput, invoke } from '@/test/support/api-event';

/**
 * Every operation of this domain × every Stax role: the allowed ones get past authorization
 * (whatever the answer then is), the others get 403 with the spec's error body.
 */

let h: Harness;
const deps = () => h.deps;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.drop());

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

const OPERATIONS: Readonly<Record<string, { handler: Handler; input: () => ApiEventInput }>> = {
  'teams.ReadGroups': { handler: readGroupsHandler(deps), input: () => ({}) },
  'teams.ReadGroup': {
    handler: readGroupHandler(deps),
    input: () => ({ pathParameters: { group_id: UNKNOWN_ID } }),
  },
  'teams.CreateGroup': {
    handler: createGroupHandler(deps),
    input: () => ({ method: 'POST', body: { Name: `Group ${newId()}` } }),
  },
  'teams.UpdateGroup': {
    handler: updateGroupHandler(deps),
    input: () => ({ method: 'PUT', pathParameters: { group_id: UNKNOWN_ID }, body: { Name: 'Renamed' } }),
  },
  'teams.DeleteGroup': {
    handler: deleteGroupHandler(deps),
    input: () => ({ method: 'DELETE', pathParameters: { group_id: UNKNOWN_ID } }),
  },
  'teams.UpdateGroupMembers': {
    handler: updateGroupMembersHandler(deps),
    input: () => ({ method: 'PUT', body: { AddMembers: [{ GroupId: UNKNOWN_ID, UserId: UNKNOWN_ID }] } }),
  },
  'accounts.ReadAccountTypes': { handler: readAccountTypesHandler(deps), input: () => ({}) },
  'accounts.ReadAccountType': {
    handler: readAccountTypeHandler(deps),
    input: () => ({ pathParameters: { account_type_id: UNKNOWN_ID } }),
  },
  'accounts.CreateAccountType': {
    handler: createAccountTypeHandler(deps),
    input: () => ({ method: 'POST', body: { Name: `Type-${newId()}` } }),
  },
  'accounts.UpdateAccountType': {
    handler: updateAccountTypeHandler(deps),
    input: () => ({
      method: 'PUT',
      pathParameters: { account_type_id: UNKNOWN_ID },
      body: { Name: 'Renamed' },
    }),
  },
  'accounts.DeleteAccountType': {
    handler: deleteAccountTypeHandler(deps),
    input: () => ({ method: 'DELETE', pathParameters: { account_type_id: UNKNOWN_ID } }),
  },
  'accounts.UpdateAccountTypeAccess': {
    handler: updateAccountTypeAccessHandler(deps),
    input: () => ({
      method: 'PUT',
      body: { AddRoles: [{ AccountTypeId: UNKNOWN_ID, GroupId: UNKNOWN_ID, RoleName: 'admin' }] },
    }),
  },
  'accounts.UpdateAccountTypeMembers': {
    handler: updateAccountTypeMembersHandler(deps),
    input: () => ({
      method: 'PUT',
      body: { Members: [{ AccountId: UNKNOWN_ID, AccountTypeId: UNKNOWN_ID }] },
    }),
  },
  'accounts.ReadAccounts': { handler: readAccountsHandler(deps), input: () => ({}) },
  'accounts.ReadAccount': {
    handler: readAccountHandler(deps),
    input: () => ({ pathParameters: { account_id: UNKNOWN_ID } }),
  },
  'accounts.DiscoverAccounts': { handler: discoverAccountsHandler(deps), input: () => ({ method: 'POST' }) },
  'tasks.ReadTask': {
    handler: readTaskHandler(deps),
    input: () => ({ pathParameters: { task_id: UNKNOWN_ID } }),
  },
};

const LEVEL_NEEDED = { read: 'readonly', user: 'user', admin: 'admin' } as const;

function isOperationId(value: string): value is OperationId {
  return value in OPERATION_ACCESS;
}

const cases = Object.entries(OPERATIONS).flatMap(([operationId, operation]) => {
  if (!isOperationId(operationId)) throw new Error(`${operationId} is not in OPERATION_ACCESS`);
  return CALLERS.map((caller) => [operationId, caller.role, caller, operation] as const);
});

test.each(cases)('%s as %s', async (operationId, _role, caller, operation) => {
  const access = OPERATION_ACCESS[operationId];
  if (access === 'public' || access === 'admin-or-self') throw new Error(`unexpected access ${access}`);
  const allowed = hasLevel(caller.role, LEVEL_NEEDED[access]);
  const response = await invoke(operation.handler, { ...operation.input(), caller });
  if (allowed) {
    expect(response.status).not.toBe(403);
    expect(response.status).toBeLessThan(500);
  } else {
    expect(response).toMatchObject({
      status: 403,
      body: { Error: `${operationId} needs an Admin role; your role is ${caller.role}` },
    });
  }
});

it('has a row for every route of these domains, and public.ReadConfig answers anyone', async () => {
  const routes = [...GROUP_ROUTES, ...ACCOUNT_ROUTES, ...TASK_ROUTES]
    .map((route) => route.operationId)
    .sort();
  expect(routes).toEqual([...Object.keys(OPERATIONS), 'public.ReadConfig'].sort());
  const readConfig = readConfigHandler(() => ({
    apiUrl: 'https://api.example.com',
    region: 'us-east-1',
    userPoolId: 'us-east-1_abc',
    userPoolClientId: 'client',
    identityPoolId: '',
  }));
  for (const caller of [...CALLERS, null]) {
    expect((await invoke(readConfig, { caller })).status).toBe(200);
  }
});

it('refuses a request the authorizer resolved no caller for (401)', async () => {
  const response = await invoke(readGroupsHandler(deps), { caller: null });
  expect(response.status).toBe(401);
});
