import { apiHandler } from '@/lambdas/shared/api';
import { toApiUser } from '@/lambdas/users/user-model';
import {
  listUsers,
  parseUserFilters,
  type UserReadDeps,
  userReadDepsFromEnv,
} from '@/lambdas/users/user-queries';

/** teams.ReadUsers: GET /20190206/users */
export function readUsersHandler(deps: () => UserReadDeps = userReadDepsFromEnv) {
  return apiHandler({ operationId: 'teams.ReadUsers' }, async (request) => {
    const filters = parseUserFilters(request.query);
    const { db, organisationId } = deps();
    const users = await listUsers(db, filters);
    return { body: { Users: users.map((user) => toApiUser(user, organisationId)) } };
  });
}

export const handler = readUsersHandler();
