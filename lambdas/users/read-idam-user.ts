import { apiHandler } from '@/lambdas/shared/api';
import { NotFoundError, ValidationError } from '@/lambdas/shared/errors';
import { isUuid } from '@/lambdas/shared/ids';
import { toIdamUser } from '@/lambdas/users/user-model';
import { listIdamUsers, type UserReadDeps, userReadDepsFromEnv } from '@/lambdas/users/user-queries';

/**
 * teams.ReadIdamUser (deprecated): GET /20190206/idam/user/{org_id}, the IDAM users of one
 * organisation; staxid serves exactly one. API Gateway allows one variable name per path
 * level, and `PUT /20190206/idam/user/{user_id}` shares this one: either name is read.
 */
export function readIdamUserHandler(deps: () => UserReadDeps = userReadDepsFromEnv) {
  return apiHandler({ operationId: 'teams.ReadIdamUser' }, async (request) => {
    const orgId = request.pathParameters.org_id ?? request.pathParameters.user_id ?? '';
    if (!isUuid(orgId)) {
      throw new ValidationError(
        'org_id',
        'must be an OrganisationId (a UUID): see OrganisationId on any user',
      );
    }
    const { db, organisationId } = deps();
    if (orgId.toLowerCase() !== organisationId.toLowerCase()) throw new NotFoundError('Organisation', orgId);
    const users = await listIdamUsers(db);
    return { body: { Users: users.map((user) => toIdamUser(user, organisationId)) } };
  });
}

export const handler = readIdamUserHandler();
