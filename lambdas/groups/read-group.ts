import { readGroup } from '@/lambdas/groups/groups';
import { apiHandler } from '@/lambdas/shared/api';
import { once, type ReadDeps, readDepsFromEnv } from '@/lambdas/shared/deps';
import { assertKnownQuery, uuidParam } from '@/lambdas/shared/input';

/** GET /20190206/groups/{group_id} (teams.ReadGroup) */
export function readGroupHandler(deps: () => ReadDeps) {
  return apiHandler({ operationId: 'teams.ReadGroup' }, async ({ pathParameters, query }) => {
    const groupId = uuidParam(pathParameters, 'group_id');
    assertKnownQuery(query, []);
    return { body: await readGroup(deps(), groupId) };
  });
}

export const handler = readGroupHandler(once(() => readDepsFromEnv()));
