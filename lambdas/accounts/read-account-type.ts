import { readAccountType } from '@/lambdas/accounts/account-types';
import { apiHandler } from '@/lambdas/shared/api';
import { once, type ReadDeps, readDepsFromEnv } from '@/lambdas/shared/deps';
import { assertKnownQuery, csvUuidParam, uuidParam } from '@/lambdas/shared/input';

/** GET /20190206/accounts/types/{account_type_id} (accounts.ReadAccountType) */
export function readAccountTypeHandler(deps: () => ReadDeps) {
  return apiHandler({ operationId: 'accounts.ReadAccountType' }, async ({ pathParameters, query }) => {
    const accountTypeId = uuidParam(pathParameters, 'account_type_id');
    assertKnownQuery(query, ['id_filter']);
    return { body: await readAccountType(deps(), accountTypeId, csvUuidParam(query, 'id_filter')) };
  });
}

export const handler = readAccountTypeHandler(once(() => readDepsFromEnv()));
