import { permissionSetHandler } from '@/lambdas/permission-sets/api';
import { type PermissionSetReadDeps, permissionSetReadDepsFromEnv } from '@/lambdas/permission-sets/deps';
import { listPermissionSets } from '@/lambdas/permission-sets/permission-sets';
import { once } from '@/lambdas/shared/deps';

/** GET /20210321/permission-sets (permissionSets.ListPermissionSets) */
export function listPermissionSetsHandler(deps: () => PermissionSetReadDeps) {
  return permissionSetHandler('permissionSets.ListPermissionSets', async ({ query }) => ({
    body: await listPermissionSets(deps(), query),
  }));
}

export const handler = listPermissionSetsHandler(once(() => permissionSetReadDepsFromEnv()));
