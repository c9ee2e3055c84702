import { apiHandler } from '@/lambdas/shared/api';
import { detailEnvelope } from '@/lambdas/users/user-model';
import { userIdParameter } from '@/lambdas/users/user-queries';
import { type UserService, userServiceFromEnv } from '@/lambdas/users/user-service';

/** teams.UpdateUserPassword: PUT /20190206/idam/user/reset-password/{user_id}. Local users only. */
export function updateUserPasswordHandler(service: () => UserService = userServiceFromEnv) {
  return apiHandler({ operationId: 'teams.UpdateUserPassword' }, async (request) => {
    const id = userIdParameter(request.pathParameters);
    const user = await service().resetPassword(request.caller, id, request.requestId);
    return {
      body: detailEnvelope({
        operation: 'teams:UpdateUserPassword',
        message: `Password reset: ${user.Email} was told how to choose a new password`,
      }),
    };
  });
}

export const handler = updateUserPasswordHandler();
