import { permissionSetHandler, permissionSetIdOf } from '@/lambdas/permission-sets/api';
import { type PermissionSetReadDeps, permissionSetReadDepsFromEnv } from '@/lambdas/permission-sets/deps';
import { getPermissionSet, permissionSetResponse } from '@/lambdas/permission-sets/items';
import { once } from '@/lambdas/shared/deps';
import { assertKnownQuery } from '@/lambdas/shared/input';

/** GET /20210321/permission-sets/{permission_set_id} (permissionSets.GetPermissionSet) */
export function getPermissionSetHandler(deps: () => PermissionSetReadDeps) {
  return permissionSetHandler('permissionSets.GetPermissionSet', async (request) => {
    assertKnownQuery(request.query, []);
    return { body: permissionSetResponse(await getPermissionSet(deps().db, permissionSetIdOf(request))) };
  });
}

export const handler = getPermissionSetHandler(once(() => permissionSetReadDepsFromEnv()));
