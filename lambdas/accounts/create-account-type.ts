import { createAccountType } from '@/lambdas/accounts/account-types';
import { apiHandler } from '@/lambdas/shared/api';
import { once, type ServiceDeps } from '@/lambdas/shared/deps';
import { accounts_CreateAccountType } from '@/lambdas/shared/generated/request-validators';
import { assertKnownQuery } from '@/lambdas/shared/input';
import { serviceDepsFromEnv } from '@/lambdas/shared/write-deps';

/** POST /20190206/accounts/types (accounts.CreateAccountType) */
export function createAccountTypeHandler(deps: () => ServiceDeps) {
  return apiHandler<{ Name: string }>(
    { operationId: 'accounts.CreateAccountType', requestSchema: accounts_CreateAccountType },
    async (request) => {
      assertKnownQuery(request.query, []);
      return { body: await createAccountType(deps(), request, request.body) };
    },
  );
}

export const handler = createAccountTypeHandler(once(() => serviceDepsFromEnv()));
