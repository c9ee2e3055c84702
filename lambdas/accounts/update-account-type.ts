import { updateAccountType } from '@/lambdas/accounts/account-types';
import { apiHandler } from '@/lambdas/shared/api';
import { once, type ServiceDeps } from '@/lambdas/shared/deps';
import { accounts_UpdateAccountType } from '@/lambdas/shared/generated/request-validators';
import { assertKnownQuery, uuidParam } from '@/lambdas/shared/input';
import { serviceDepsFromEnv } from '@/lambdas/shared/write-deps';

/** PUT /20190206/accounts/types/{account_type_id} (accounts.UpdateAccountType) */
export function updateAccountTypeHandler(deps: () => ServiceDeps) {
  return apiHandler<{ Name: string }>(
    { operationId: 'accounts.UpdateAccountType', requestSchema: accounts_UpdateAccountType },
    async (request) => {
      const accountTypeId = uuidParam(request.pathParameters, 'account_type_id');
      assertKnownQuery(request.query, []);
      return { body: await updateAccountType(deps(), request, accountTypeId, request.body) };
    },
  );
}

export const handler = updateAccountTypeHandler(once(() => serviceDepsFromEnv()));
