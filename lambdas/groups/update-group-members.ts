import { type UpdateGroupMembersBody, updateGroupMembers } from '@/lambdas/groups/groups';
import { apiHandler } from '@/lambdas/shared/api';
import { once, type ServiceDeps } from '@/lambdas/shared/deps';
import { teams_UpdateGroupMembers } from '@/lambdas/shared/generated/request-validators';
import { assertKnownQuery, assertOnlyFields } from '@/lambdas/shared/input';
import { serviceDepsFromEnv } from '@/lambdas/shared/write-deps';

/** PUT /20190206/groups/members (teams.UpdateGroupMembers) */
export function updateGroupMembersHandler(deps: () => ServiceDeps) {
  return apiHandler<UpdateGroupMembersBody>(
    { operationId: 'teams.UpdateGroupMembers', requestSchema: teams_UpdateGroupMembers },
    async (request) => {
      assertKnownQuery(request.query, []);
      assertOnlyFields(request.body, ['AddMembers', 'RemoveMembers']);
      return { body: await updateGroupMembers(deps(), request, request.body) };
    },
  );
}

export const handler = updateGroupMembersHandler(once(() => serviceDepsFromEnv()));
