import { apiHandler } from '@/lambdas/shared/api';
import { once, type ReadDeps, readDepsFromEnv } from '@/lambdas/shared/deps';
import { assertKnownQuery, uuidParam } from '@/lambdas/shared/input';
import { readGrant } from '@/lambdas/support/support-access';

/** GET /20190206/support-access/{grant_id} (support.ReadSupportAccessGrant): 404 to a non-Admin it is not for. */
export function readSupportAccessGrantHandler(deps: () => ReadDeps) {
  return apiHandler(
    { operationId: 'support.ReadSupportAccessGrant' },
    async ({ caller, pathParameters, query }) => {
      const grantId = uuidParam(pathParameters, 'grant_id');
      assertKnownQuery(query, []);
      return { body: await readGrant(deps(), caller, grantId) };
    },
  );
}

export const handler = readSupportAccessGrantHandler(once(() => readDepsFromEnv()));
