import { permissionSetHandler, permissionSetIdOf } from '@/lambdas/permission-sets/api';
import { type PermissionSetDeps, permissionSetDepsFromEnv } from '@/lambdas/permission-sets/deps';
import { updatePermissionSet } from '@/lambdas/permission-sets/permission-sets';
import { parseUpdatePermissionSet } from '@/lambdas/permission-sets/validation';
import { once } from '@/lambdas/shared/deps';

/** PUT /20210321/permission-sets/{permission_set_id} (permissionSets.UpdatePermissionSet) */
export function updatePermissionSetHandler(deps: () => PermissionSetDeps) {
  return permissionSetHandler(
    'permissionSets.UpdatePermissionSet',
    async (request) => ({
      body: await updatePermissionSet(
        deps(),
        { caller: request.caller, requestId: request.requestId },
        permissionSetIdOf(request),
        request.body,
      ),
    }),
    parseUpdatePermissionSet,
  );
}

export const handler = updatePermissionSetHandler(once(() => permissionSetDepsFromEnv()));
