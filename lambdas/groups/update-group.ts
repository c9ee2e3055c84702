import { updateGroup } from '@/lambdas/groups/groups';
import { apiHandler } from '@/lambdas/shared/api';
import { once, type ServiceDeps } from '@/lambdas/shared/deps';
import { teams_UpdateGroup } from '@/lambdas/shared/generated/request-validators';
import { assertKnownQuery, assertOnlyFields, uuidParam } from '@/lambdas/shared/input';
import { serviceDepsFromEnv } from '@/lambdas/shared/write-deps';

/** PUT /20190206/groups/{group_id} (teams.UpdateGroup) */
export function updateGroupHandler(deps: () => ServiceDeps) {
  return apiHandler<{ Name: string }>(
    { operationId: 'teams.UpdateGroup', requestSchema: teams_UpdateGroup },
    async (request) => {
      const groupId = uuidParam(request.pathParameters, 'group_id');
      assertKnownQuery(request.query, []);
      assertOnlyFields(request.body, ['Name']);
      return { body: await updateGroup(deps(), request, groupId, request.body) };
    },
  );
}

export const handler = updateGroupHandler(once(() => serviceDepsFromEnv()));
