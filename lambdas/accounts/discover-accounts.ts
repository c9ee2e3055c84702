import { discoveryDepsFromEnv } from '@/lambdas/accounts/deps';
import { type DiscoveryDeps, discoverAccounts } from '@/lambdas/accounts/discovery';
import { apiHandler } from '@/lambdas/shared/api';
import { once } from '@/lambdas/shared/deps';
import { assertKnownQuery } from '@/lambdas/shared/input';

/** POST /20190206/accounts/discover (accounts.DiscoverAccounts) */
export function discoverAccountsHandler(deps: () => DiscoveryDeps) {
  return apiHandler({ operationId: 'accounts.DiscoverAccounts' }, async (request) => {
    assertKnownQuery(request.query, []);
    return { body: await discoverAccounts(deps(), request) };
  });
}

export const handler = discoverAccountsHandler(once(() => discoveryDepsFromEnv()));
