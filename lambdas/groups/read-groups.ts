import { readGroups } from '@/lambdas/groups/groups';
import { apiHandler } from '@/lambdas/shared/api';
import { once, type ReadDeps, readDepsFromEnv } from '@/lambdas/shared/deps';
import { assertKnownQuery, csvUuidParam } from '@/lambdas/shared/input';

/** GET /20190206/groups (teams.ReadGroups) */
export function readGroupsHandler(deps: () => ReadDeps) {
  return apiHandler({ operationId: 'teams.ReadGroups' }, async ({ query }) => {
    assertKnownQuery(query, ['id_filter']);
    return { body: await readGroups(deps(), csvUuidParam(query, 'id_filter')) };
  });
}

export const handler = readGroupsHandler(once(() => readDepsFromEnv()));
