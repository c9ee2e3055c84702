import type { RouteDefinition } from '@/lambdas/routes';

const BASE = '/20210321/permission-sets';
const TAG = 'Permission sets';

/**
 * The permission-sets API (/20210321, spec/stax-permission-sets-20210321.openapi.json).
 * The operations that change assignments or a permission set also enqueue deployment
 * messages: they need `table:write` and sending to the deployment queue
 * (STAXID_DEPLOYMENT_QUEUE_URL).
 */
export const PERMISSION_SET_ROUTES: readonly RouteDefinition[] = [
  {
    operationId: 'permissionSets.ListPermissionSets',
    method: 'GET',
    path: BASE,
    handler: 'lambdas/permission-sets/list-permission-sets.ts',
    auth: 'bearer',
    summary:
      'List permission sets by name, filtered by `status` and `created_by`, paged (`limit` ≤ 100, `page_token`).',
    tag: TAG,
    grants: ['table:read'],
  },
  {
    operationId: 'permissionSets.CreatePermissionSet',
    method: 'POST',
    path: BASE,
    handler: 'lambdas/permission-sets/create-permission-set.ts',
    auth: 'bearer',
    summary:
      'Create a permission set: a unique role name, AWS managed and inline policies, tags, session length.',
    tag: TAG,
    grants: ['table:write'],
  },
  {
    operationId: 'permissionSets.ListAWSManagedPolicies',
    method: 'GET',
    path: `${BASE}/aws-managed-policies`,
    handler: 'lambdas/permission-sets/list-aws-managed-policies.ts',
    auth: 'bearer',
    summary: 'The AWS managed policies a permission set may attach.',
    tag: TAG,
  },
  {
    operationId: 'permissionSets.ListRoles',
    method: 'GET',
    path: `${BASE}/roles`,
    handler: 'lambdas/permission-sets/list-roles.ts',
    auth: 'bearer',
    summary: 'The permission-set roles deployed in accounts, optionally in one account (`account_id`).',
    tag: TAG,
    grants: ['table:read'],
  },
  {
    operationId: 'permissionSets.ListMyRoles',
    method: 'GET',
    path: `${BASE}/roles/me`,
    handler: 'lambdas/permission-sets/list-my-roles.ts',
    auth: 'bearer',
    summary: 'The permission-set roles the signed-in user may use (403 for an API token).',
    tag: TAG,
    grants: ['table:read'],
  },
  {
    operationId: 'permissionSets.GetPermissionSet',
    method: 'GET',
    path: `${BASE}/{permission_set_id}`,
    handler: 'lambdas/permission-sets/get-permission-set.ts',
    auth: 'bearer',
    summary: 'Read a permission set.',
    tag: TAG,
    grants: ['table:read'],
  },
  {
    operationId: 'permissionSets.UpdatePermissionSet',
    method: 'PUT',
    path: `${BASE}/{permission_set_id}`,
    handler: 'lambdas/permission-sets/update-permission-set.ts',
    auth: 'bearer',
    summary: 'Change a permission set (not its name) and redeploy every live assignment.',
    tag: TAG,
    grants: ['table:write', 'deployments:enqueue'],
  },
  {
    operationId: 'permissionSets.DeletePermissionSet',
    method: 'DELETE',
    path: `${BASE}/{permission_set_id}`,
    handler: 'lambdas/permission-sets/delete-permission-set.ts',
    auth: 'bearer',
    summary: 'Delete a permission set that has no assignments left; its name becomes free.',
    tag: TAG,
    grants: ['table:write'],
  },
  {
    operationId: 'permissionSets.ListPermissionSetAssignments',
    method: 'GET',
    path: `${BASE}/{permission_set_id}/assignments`,
    handler: 'lambdas/permission-sets/list-assignments.ts',
    auth: 'bearer',
    summary:
      'A permission set’s assignments, filtered by `status`, `created_by`, `group`, `account_type`, paged.',
    tag: TAG,
    grants: ['table:read'],
  },
  {
    operationId: 'permissionSets.ListPermissionSetDeployments',
    method: 'GET',
    path: `${BASE}/{permission_set_id}/deployments`,
    handler: 'lambdas/permission-sets/list-deployments.ts',
    auth: 'bearer',
    summary:
      'A staxid extension: each account’s deployment of each assignment of a permission set, with why it failed (`StatusReason`).',
    tag: TAG,
    grants: ['table:read'],
  },
  {
    operationId: 'permissionSets.CreatePermissionSetAssignments',
    method: 'POST',
    path: `${BASE}/{permission_set_id}/assignments`,
    handler: 'lambdas/permission-sets/create-assignments.ts',
    auth: 'bearer',
    summary:
      'Assign a permission set to a group on an account type (exactly one); deploys it to every ACTIVE account.',
    tag: TAG,
    grants: ['table:write', 'deployments:enqueue'],
  },
  {
    operationId: 'permissionSets.DeletePermissionSetAssignment',
    method: 'DELETE',
    path: `${BASE}/{permission_set_id}/assignments/{assignment_id}`,
    handler: 'lambdas/permission-sets/delete-assignment.ts',
    auth: 'bearer',
    summary: 'Remove an assignment: its roles stop being offered and are deleted from the accounts.',
    tag: TAG,
    grants: ['table:write', 'deployments:enqueue'],
  },
  {
    operationId: 'permissionSets.RedeployPermissionSetAssignment',
    method: 'PUT',
    path: `${BASE}/{permission_set_id}/assignments/{assignment_id}`,
    handler: 'lambdas/permission-sets/redeploy-assignment.ts',
    auth: 'bearer',
    summary: 'Deploy an assignment again to every ACTIVE account of its account type.',
    tag: TAG,
    grants: ['table:write', 'deployments:enqueue'],
  },
  {
    operationId: 'permissionSets.GetAPIDocument',
    method: 'GET',
    path: '/20210321/public/api-document',
    handler: 'lambdas/permission-sets/get-api-document.ts',
    auth: 'none',
    summary: 'The OpenAPI document of the permission-sets API.',
    tag: TAG,
  },
];
