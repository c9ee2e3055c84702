import { apiHandler } from '@/lambdas/shared/api';
import { toApiUser } from '@/lambdas/users/user-model';
import { currentUser, type UserReadDeps, userReadDepsFromEnv } from '@/lambdas/users/user-queries';

/** teams.FetchCurrentUser: GET /20190206/users/me. An API token is not a user: 404. */
export function fetchCurrentUserHandler(deps: () => UserReadDeps = userReadDepsFromEnv) {
  return apiHandler({ operationId: 'teams.FetchCurrentUser' }, async (request) => {
    const { db, organisationId } = deps();
    const user = await currentUser(db, request.caller);
    return { body: { Users: [toApiUser(user, organisationId)] } };
  });
}

export const handler = fetchCurrentUserHandler();
