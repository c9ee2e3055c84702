import { createGroup } from '@/lambdas/groups/groups';
import { apiHandler } from '@/lambdas/shared/api';
import { once, type ServiceDeps } from '@/lambdas/shared/deps';
import { teams_CreateGroup } from '@/lambdas/shared/generated/request-validators';
import { assertKnownQuery, assertOnlyFields } from '@/lambdas/shared/input';
import { serviceDepsFromEnv } from '@/lambdas/shared/write-deps';

/** POST /20190206/groups (teams.CreateGroup) */
export function createGroupHandler(deps: () => ServiceDeps) {
  return apiHandler<{ Name: string }>(
    { operationId: 'teams.CreateGroup', requestSchema: teams_CreateGroup },
    async (request) => {
      assertKnownQuery(request.query, []);
      assertOnlyFields(request.body, ['Name']);
      return { body: await createGroup(deps(), request, request.body) };
    },
  );
}

export const handler = createGroupHandler(once(() => serviceDepsFromEnv()));
