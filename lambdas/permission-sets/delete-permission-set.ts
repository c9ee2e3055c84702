import { permissionSetHandler, permissionSetIdOf } from '@/lambdas/permission-sets/api';
import { type PermissionSetDeps, permissionSetDepsFromEnv } from '@/lambdas/permission-sets/deps';
import { deletePermissionSet } from '@/lambdas/permission-sets/permission-sets';
import { once } from '@/lambdas/shared/deps';

/** DELETE /20210321/permission-sets/{permission_set_id} (permissionSets.DeletePermissionSet) */
export function deletePermissionSetHandler(deps: () => PermissionSetDeps) {
  return permissionSetHandler('permissionSets.DeletePermissionSet', async (request) => ({
    body: await deletePermissionSet(
      deps(),
      { caller: request.caller, requestId: request.requestId },
      permissionSetIdOf(request),
    ),
  }));
}

export const handler = deletePermissionSetHandler(once(() => permissionSetDepsFromEnv()));
