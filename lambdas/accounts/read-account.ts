import { type AccountReadDeps, parseAccountQuery, readAccount } from '@/lambdas/accounts/accounts';
import { accountReadDepsFromEnv } from '@/lambdas/accounts/deps';
import { apiHandler } from '@/lambdas/shared/api';
import { once } from '@/lambdas/shared/deps';
import { uuidParam } from '@/lambdas/shared/input';

/** GET /20190206/accounts/{account_id} (accounts.ReadAccount) */
export function readAccountHandler(deps: () => AccountReadDeps) {
  return apiHandler({ operationId: 'accounts.ReadAccount' }, async ({ caller, pathParameters, query }) => {
    const accountId = uuidParam(pathParameters, 'account_id');
    return { body: await readAccount(deps(), caller, accountId, parseAccountQuery(query)) };
  });
}

export const handler = readAccountHandler(once(() => accountReadDepsFromEnv()));
