import { type AccountReadDeps, parseAccountQuery, readAccounts } from '@/lambdas/accounts/accounts';
import { accountReadDepsFromEnv } from '@/lambdas/accounts/deps';
import { apiHandler } from '@/lambdas/shared/api';
import { once } from '@/lambdas/shared/deps';

/** GET /20190206/accounts (accounts.ReadAccounts) */
export function readAccountsHandler(deps: () => AccountReadDeps) {
  return apiHandler({ operationId: 'accounts.ReadAccounts' }, async ({ caller, query }) => ({
    body: await readAccounts(deps(), caller, parseAccountQuery(query)),
  }));
}

export const handler = readAccountsHandler(once(() => accountReadDepsFromEnv()));
