import { permissionSetHandler } from '@/lambdas/permission-sets/api';
import { type PermissionSetReadDeps, permissionSetReadDepsFromEnv } from '@/lambdas/permission-sets/deps';
import { listRoles } from '@/lambdas/permission-sets/roles';
import { once } from '@/lambdas/shared/deps';

/** GET /20210321/permission-sets/roles (permissionSets.ListRoles) */
export function listRolesHandler(deps: () => PermissionSetReadDeps) {
  return permissionSetHandler('permissionSets.ListRoles', async ({ query }) => ({
    body: await listRoles(deps(), query),
  }));
}

export const handler = listRolesHandler(once(() => permissionSetReadDepsFromEnv()));
