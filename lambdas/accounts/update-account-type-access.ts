import {
  type UpdateAccountTypeAccessBody,
  updateAccountTypeAccess,
} from '@/lambdas/accounts/account-type-access';
import { apiHandler } from '@/lambdas/shared/api';
import { once, type ServiceDeps } from '@/lambdas/tasks/deps';
import { assertKnownQuery } from '@/lambdas/tasks/input';
import { serviceDepsFromEnv } from '@/lambdas/tasks/write-deps';

/** PUT /20190206/accounts/types/access (accounts.UpdateAccountTypeAccess) */
export function updateAccountTypeAccessHandler(deps: () => ServiceDeps) {
  return apiHandler<UpdateAccountTypeAccessBody>(
    { operationId: 'accounts.UpdateAccountTypeAccess', requestSchema: 'accounts.UpdateAccountTypeAccess' },
    async (request) => {
      assertKnownQuery(request.query, []);
      return { body: await updateAccountTypeAccess(deps(), request, request.body) };
    },
  );
}

export const handler = updateAccountTypeAccessHandler(once(() => serviceDepsFromEnv()));
