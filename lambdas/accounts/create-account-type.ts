import { createAccountType } from '@/lambdas/accounts/account-types';
import { apiHandler } from '@/lambdas/shared/api';
import { once, type ServiceDeps } from '@/lambdas/tasks/deps';
import { assertKnownQuery } from '@/lambdas/tasks/input';
import { serviceDepsFromEnv } from '@/lambdas/tasks/write-deps';

/** POST /20190206/accounts/types (accounts.CreateAccountType) */
export function createAccountTypeHandler(deps: () => ServiceDeps) {
  return apiHandler<{ Name: string }>(
    { operationId: 'accounts.CreateAccountType', requestSchema: 'accounts.CreateAccountType' },
    async (request) => {
      assertKnownQuery(request.query, []);
      return { body: await createAccountType(deps(), request, request.body) };
    },
  );
}

export const handler = createAccountTypeHandler(once(() => serviceDepsFromEnv()));
