import { apiHandler } from '@/lambdas/shared/api';
import { toIdamUser } from '@/lambdas/users/user-model';
import { listIdamUsers, type UserReadDeps, userReadDepsFromEnv } from '@/lambdas/users/user-queries';

/** teams.ReadIdamUsers (deprecated): GET /20190206/idam/user */
export function readIdamUsersHandler(deps: () => UserReadDeps = userReadDepsFromEnv) {
  return apiHandler({ operationId: 'teams.ReadIdamUsers' }, async () => {
    const { db, organisationId } = deps();
    const users = await listIdamUsers(db);
    return { body: { Users: users.map((user) => toIdamUser(user, organisationId)) } };
  });
}

export const handler = readIdamUsersHandler();
