import {
  type UpdateAccountTypeAccessBody,
  updateAccountTypeAccess,
} from '@/lambdas/accounts/account-type-access';
import { apiHandler } from '@/lambdas/shared/api';
import { once, type ServiceDeps } from '@/lambdas/shared/deps';
import { accounts_UpdateAccountTypeAccess } from '@/lambdas/shared/generated/request-validators';
import { assertKnownQuery } from '@/lambdas/shared/input';
import { serviceDepsFromEnv } from '@/lambdas/shared/write-deps';

/** PUT /20190206/accounts/types/access (accounts.UpdateAccountTypeAccess) */
export function updateAccountTypeAccessHandler(deps: () => ServiceDeps) {
  return apiHandler<UpdateAccountTypeAccessBody>(
    { operationId: 'accounts.UpdateAccountTypeAccess', requestSchema: accounts_UpdateAccountTypeAccess },
    async (request) => {
      assertKnownQuery(request.query, []);
      return { body: await updateAccountTypeAccess(deps(), request, request.body) };
    },
  );
}

export const handler = updateAccountTypeAccessHandler(once(() => serviceDepsFromEnv()));
