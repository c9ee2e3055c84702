import { permissionSetHandler } from '@/lambdas/permission-sets/api';
import { type PermissionSetDeps, permissionSetDepsFromEnv } from '@/lambdas/permission-sets/deps';
import { createPermissionSet } from '@/lambdas/permission-sets/permission-sets';
import { parseCreatePermissionSet } from '@/lambdas/permission-sets/validation';
import { once } from '@/lambdas/shared/deps';

/** POST /20210321/permission-sets (permissionSets.CreatePermissionSet) */
export function createPermissionSetHandler(deps: () => PermissionSetDeps) {
  return permissionSetHandler(
    'permissionSets.CreatePermissionSet',
    async ({ caller, requestId, body }) => ({
      status: 201,
      body: await createPermissionSet(deps(), { caller, requestId }, body),
    }),
    parseCreatePermissionSet,
  );
}

export const handler = createPermissionSetHandler(once(() => permissionSetDepsFromEnv()));
