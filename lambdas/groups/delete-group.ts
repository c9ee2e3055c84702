import { deleteGroup } from '@/lambdas/groups/groups';
import { apiHandler } from '@/lambdas/shared/api';
import { once, type ServiceDeps } from '@/lambdas/shared/deps';
import { assertKnownQuery, uuidParam } from '@/lambdas/shared/input';
import { serviceDepsFromEnv } from '@/lambdas/shared/write-deps';

/** DELETE /20190206/groups/{group_id} (teams.DeleteGroup) */
export function deleteGroupHandler(deps: () => ServiceDeps) {
  return apiHandler({ operationId: 'teams.DeleteGroup' }, async (request) => {
    const groupId = uuidParam(request.pathParameters, 'group_id');
    assertKnownQuery(request.query, []);
    return { body: await deleteGroup(deps(), request, groupId) };
  });
}

export const handler = deleteGroupHandler(once(() => serviceDepsFromEnv()));
