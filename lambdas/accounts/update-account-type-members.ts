import { type AccountTypeMemberMap, updateAccountTypeMembers } from '@/lambdas/accounts/account-types';
import { apiHandler } from '@/lambdas/shared/api';
import { once, type ServiceDeps } from '@/lambdas/shared/deps';
import { accounts_UpdateAccountTypeMembers } from '@/lambdas/shared/generated/request-validators';
import { assertKnownQuery } from '@/lambdas/shared/input';
import { serviceDepsFromEnv } from '@/lambdas/shared/write-deps';

/** PUT /20190206/account-types/members (accounts.UpdateAccountTypeMembers) */
export function updateAccountTypeMembersHandler(deps: () => ServiceDeps) {
  return apiHandler<{ Members: readonly AccountTypeMemberMap[] }>(
    { operationId: 'accounts.UpdateAccountTypeMembers', requestSchema: accounts_UpdateAccountTypeMembers },
    async (request) => {
      assertKnownQuery(request.query, []);
      return { body: await updateAccountTypeMembers(deps(), request, request.body) };
    },
  );
}

export const handler = updateAccountTypeMembersHandler(once(() => serviceDepsFromEnv()));
