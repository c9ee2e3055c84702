import { apiHandler } from '@/lambdas/shared/api';
import { detailEnvelope } from '@/lambdas/users/user-model';
import { userIdParameter } from '@/lambdas/users/user-queries';
import { type UserService, userServiceFromEnv } from '@/lambdas/users/user-service';

/** teams.UpdateUserInvite: PUT /20190206/idam/user/resend-invite/{user_id}. INVITED users only. */
export function updateUserInviteHandler(service: () => UserService = userServiceFromEnv) {
  return apiHandler({ operationId: 'teams.UpdateUserInvite' }, async (request) => {
    const id = userIdParameter(request.pathParameters);
    const user = await service().resendInvitation(request.caller, id, request.requestId);
    return {
      body: detailEnvelope({
        operation: 'teams:UpdateUser',
        message: `A new invitation went to ${user.Email}, valid until ${user.InviteExpiresTS}`,
      }),
    };
  });
}

export const handler = updateUserInviteHandler();
