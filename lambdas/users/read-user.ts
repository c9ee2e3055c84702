import { apiHandler } from '@/lambdas/shared/api';
import { toApiUser } from '@/lambdas/users/user-model';
import {
  getLiveUser,
  type UserReadDeps,
  userIdParameter,
  userReadDepsFromEnv,
} from '@/lambdas/users/user-queries';

/** teams.ReadUser: GET /20190206/users/{user_id} (a DELETED user is not found). */
export function readUserHandler(deps: () => UserReadDeps = userReadDepsFromEnv) {
  return apiHandler({ operationId: 'teams.ReadUser' }, async (request) => {
    const id = userIdParameter(request.pathParameters);
    const { db, organisationId } = deps();
    const user = await getLiveUser(db, id);
    return { body: { Users: [toApiUser(user, organisationId)] } };
  });
}

export const handler = readUserHandler();
