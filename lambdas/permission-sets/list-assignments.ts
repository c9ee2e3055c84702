import { permissionSetHandler, permissionSetIdOf } from '@/lambdas/permission-sets/api';
import { listAssignments } from '@/lambdas/permission-sets/assignments';
import { type PermissionSetReadDeps, permissionSetReadDepsFromEnv } from '@/lambdas/permission-sets/deps';
import { once } from '@/lambdas/shared/deps';

/** GET /20210321/permission-sets/{permission_set_id}/assignments (permissionSets.ListPermissionSetAssignments) */
export function listAssignmentsHandler(deps: () => PermissionSetReadDeps) {
  return permissionSetHandler('permissionSets.ListPermissionSetAssignments', async (request) => ({
    body: await listAssignments(deps(), permissionSetIdOf(request), request.query),
  }));
}

export const handler = listAssignmentsHandler(once(() => permissionSetReadDepsFromEnv()));
