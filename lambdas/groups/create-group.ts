import { createGroup } from '@/lambdas/groups/groups';
import { apiHandler } from '@/lambdas/shared/api';
import { once, type ServiceDeps } from '@/lambdas/tasks/deps';
import { assertKnownQuery, assertOnlyFields } from '@/lambdas/tasks/input';
import { serviceDepsFromEnv } from '@/lambdas/tasks/write-deps';

/** POST /20190206/groups (teams.CreateGroup) */
export function createGroupHandler(deps: () => ServiceDeps) {
  return apiHandler<{ Name: string }>(
    { operationId: 'teams.CreateGroup', requestSchema: 'teams.CreateGroup' },
    async (request) => {
      assertKnownQuery(request.query, []);
      assertOnlyFields(request.body, ['Name']);
      return { body: await createGroup(deps(), request, request.body) };
    },
  );
}

export const handler = createGroupHandler(once(() => serviceDepsFromEnv()));
