import { permissionSetHandler, permissionSetIdOf } from '@/lambdas/permission-sets/api';
import { createAssignment } from '@/lambdas/permission-sets/assignments';
import { type PermissionSetDeps, permissionSetDepsFromEnv } from '@/lambdas/permission-sets/deps';
import { parseCreateAssignments } from '@/lambdas/permission-sets/validation';
import { once } from '@/lambdas/shared/deps';

/** POST /20210321/permission-sets/{permission_set_id}/assignments (permissionSets.CreatePermissionSetAssignments) */
export function createAssignmentsHandler(deps: () => PermissionSetDeps) {
  return permissionSetHandler(
    'permissionSets.CreatePermissionSetAssignments',
    async (request) => ({
      body: await createAssignment(
        deps(),
        { caller: request.caller, requestId: request.requestId },
        permissionSetIdOf(request),
        request.body,
      ),
    }),
    parseCreateAssignments,
  );
}

export const handler = createAssignmentsHandler(once(() => permissionSetDepsFromEnv()));
