import { apiHandler } from '@/lambdas/shared/api';
import { once, type ReadDeps, readDepsFromEnv } from '@/lambdas/shared/deps';
import { assertKnownQuery } from '@/lambdas/shared/input';
import { readGrants } from '@/lambdas/support/support-access';

/** GET /20190206/support-access (support.ReadSupportAccessGrants): every grant to an Admin, one's own to others. */
export function readSupportAccessGrantsHandler(deps: () => ReadDeps) {
  return apiHandler({ operationId: 'support.ReadSupportAccessGrants' }, async ({ caller, query }) => {
    assertKnownQuery(query, []);
    return { body: await readGrants(deps(), caller) };
  });
}

export const handler = readSupportAccessGrantsHandler(once(() => readDepsFromEnv()));
