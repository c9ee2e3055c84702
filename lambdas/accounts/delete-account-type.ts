import { deleteAccountType } from '@/lambdas/accounts/account-types';
import { apiHandler } from '@/lambdas/shared/api';
import { once, type ServiceDeps } from '@/lambdas/shared/deps';
import { assertKnownQuery, uuidParam } from '@/lambdas/shared/input';
import { serviceDepsFromEnv } from '@/lambdas/shared/write-deps';

/** DELETE /20190206/accounts/types/{account_type_id} (accounts.DeleteAccountType) */
export function deleteAccountTypeHandler(deps: () => ServiceDeps) {
  return apiHandler({ operationId: 'accounts.DeleteAccountType' }, async (request) => {
    const accountTypeId = uuidParam(request.pathParameters, 'account_type_id');
    assertKnownQuery(request.query, []);
    return { body: await deleteAccountType(deps(), request, accountTypeId) };
  });
}

export const handler = deleteAccountTypeHandler(once(() => serviceDepsFromEnv()));
