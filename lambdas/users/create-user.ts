import { apiHandler } from '@/lambdas/shared/api';
import { teams_CreateUser } from '@/lambdas/shared/generated/request-validators';
import { taskEnvelope } from '@/lambdas/users/user-model';
import { type CreateUserInput, type UserService, userServiceFromEnv } from '@/lambdas/users/user-service';

/** teams.CreateUser: POST /20190206/idam/user. Invites the user; the task names the new user's id. */
export function createUserHandler(service: () => UserService = userServiceFromEnv) {
  return apiHandler<CreateUserInput>(
    { operationId: 'teams.CreateUser', requestSchema: teams_CreateUser },
    async (request) => {
      const users = service();
      const { user, taskId } = await users.createUser(request.caller, request.body, request.requestId);
      return {
        body: taskEnvelope({
          taskId,
          operation: 'teams:CreateUser',
          message: `User ${user.Id} invited: an invitation went to ${user.Email}, valid until ${user.InviteExpiresTS}`,
          customerId: users.organisationId,
        }),
      };
    },
  );
}

export const handler = createUserHandler();
