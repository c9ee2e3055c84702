import { apiHandler } from '@/lambdas/shared/api';
import { toApiUser } from '@/lambdas/users/user-model';
import { userIdParameter } from '@/lambdas/users/user-queries';
import { type UserService, userServiceFromEnv } from '@/lambdas/users/user-service';

/** teams.DeleteUser: DELETE /20190206/users/{user_id}. Answers with the user as now DELETED. */
export function deleteUserHandler(service: () => UserService = userServiceFromEnv) {
  return apiHandler({ operationId: 'teams.DeleteUser' }, async (request) => {
    const id = userIdParameter(request.pathParameters);
    const users = service();
    const user = await users.deleteUser(request.caller, id, request.requestId);
    return { body: { Users: [toApiUser(user, users.organisationId)] } };
  });
}

export const handler = deleteUserHandler();
