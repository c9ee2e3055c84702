import { permissionSetHandler } from '@/lambdas/permission-sets/api';
import { type PermissionSetReadDeps, permissionSetReadDepsFromEnv } from '@/lambdas/permission-sets/deps';
import { listMyRoles } from '@/lambdas/permission-sets/roles';
import { once } from '@/lambdas/shared/deps';

/** GET /20210321/permission-sets/roles/me (permissionSets.ListMyRoles) */
export function listMyRolesHandler(deps: () => PermissionSetReadDeps) {
  return permissionSetHandler('permissionSets.ListMyRoles', async ({ caller, query }) => ({
    body: await listMyRoles(deps(), caller, query),
  }));
}

export const handler = listMyRolesHandler(once(() => permissionSetReadDepsFromEnv()));
