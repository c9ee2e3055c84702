import { assignmentIdOf, permissionSetHandler, permissionSetIdOf } from '@/lambdas/permission-sets/api';
import { deleteAssignment } from '@/lambdas/permission-sets/assignments';
import { type PermissionSetDeps, permissionSetDepsFromEnv } from '@/lambdas/permission-sets/deps';
import { once } from '@/lambdas/shared/deps';

/** DELETE /20210321/permission-sets/{permission_set_id}/assignments/{assignment_id} (permissionSets.DeletePermissionSetAssignment) */
export function deleteAssignmentHandler(deps: () => PermissionSetDeps) {
  return permissionSetHandler('permissionSets.DeletePermissionSetAssignment', async (request) => ({
    body: await deleteAssignment(
      deps(),
      { caller: request.caller, requestId: request.requestId },
      permissionSetIdOf(request),
      assignmentIdOf(request),
    ),
  }));
}

export const handler = deleteAssignmentHandler(once(() => permissionSetDepsFromEnv()));
