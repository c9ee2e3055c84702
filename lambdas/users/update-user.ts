import { apiHandler } from '@/lambdas/shared/api';
import { teams_UpdateUser } from '@/lambdas/shared/generated/request-validators';
import { taskEnvelope } from '@/lambdas/users/user-model';
import { userIdParameter } from '@/lambdas/users/user-queries';
import { type UpdateUserInput, type UserService, userServiceFromEnv } from '@/lambdas/users/user-service';

/** teams.UpdateUser: PUT /20190206/idam/user/{user_id}. Admins, or users on their own names. */
export function updateUserHandler(service: () => UserService = userServiceFromEnv) {
  return apiHandler<UpdateUserInput>(
    { operationId: 'teams.UpdateUser', requestSchema: teams_UpdateUser },
    async (request) => {
      const id = userIdParameter(request.pathParameters);
      const users = service();
      const { user, taskId } = await users.updateUser(request.caller, id, request.body, request.requestId);
      return {
        body: taskEnvelope({
          taskId,
          operation: 'teams:UpdateUser',
          message: `User ${user.Id} updated; Status ${user.Status}`,
          customerId: users.organisationId,
        }),
      };
    },
  );
}

export const handler = updateUserHandler();
