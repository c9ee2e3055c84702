import { assignmentIdOf, permissionSetHandler, permissionSetIdOf } from '@/lambdas/permission-sets/api';
import { redeployAssignment } from '@/lambdas/permission-sets/assignments';
import { type PermissionSetDeps, permissionSetDepsFromEnv } from '@/lambdas/permission-sets/deps';
import { once } from '@/lambdas/shared/deps';

/** PUT /20210321/permission-sets/{permission_set_id}/assignments/{assignment_id} (permissionSets.RedeployPermissionSetAssignment) */
export function redeployAssignmentHandler(deps: () => PermissionSetDeps) {
  return permissionSetHandler('permissionSets.RedeployPermissionSetAssignment', async (request) => ({
    body: await redeployAssignment(
      deps(),
      { caller: request.caller, requestId: request.requestId },
      permissionSetIdOf(request),
      assignmentIdOf(request),
    ),
  }));
}

export const handler = redeployAssignmentHandler(once(() => permissionSetDepsFromEnv()));
