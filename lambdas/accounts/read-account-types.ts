import { readAccountTypes } from '@/lambdas/accounts/account-types';
import { apiHandler } from '@/lambdas/shared/api';
import { once, type ReadDeps, readDepsFromEnv } from '@/lambdas/shared/deps';
import { assertKnownQuery, csvUuidParam } from '@/lambdas/shared/input';

/** GET /20190206/accounts/types (accounts.ReadAccountTypes) */
export function readAccountTypesHandler(deps: () => ReadDeps) {
  return apiHandler({ operationId: 'accounts.ReadAccountTypes' }, async ({ query }) => {
    assertKnownQuery(query, ['id_filter']);
    return { body: await readAccountTypes(deps(), csvUuidParam(query, 'id_filter')) };
  });
}

export const handler = readAccountTypesHandler(once(() => readDepsFromEnv()));
