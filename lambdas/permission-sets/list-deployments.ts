import { permissionSetHandler, permissionSetIdOf } from '@/lambdas/permission-sets/api';
import { type PermissionSetReadDeps, permissionSetReadDepsFromEnv } from '@/lambdas/permission-sets/deps';
import { compare, deploymentFromItem, permissionSetKey } from '@/lambdas/permission-sets/items';
import { once } from '@/lambdas/shared/deps';
import { assertKnownQuery } from '@/lambdas/shared/input';
import { queryAll } from '@/lambdas/shared/store';

/**
 * ListPermissionSetDeployments (a staxid extension of the /20210321 API): each account's
 * deployment of each assignment of a permission set, with why it failed (`StatusReason`),
 * so that the console shows the status per account and not only the assignment's aggregate.
 * One Query of the permission set's partition; an unknown permission set has none.
 */
export async function listDeployments(
  deps: PermissionSetReadDeps,
  permissionSetId: string,
  query: Readonly<Record<string, string>>,
) {
  assertKnownQuery(query, []);
  const items = await queryAll(deps.db, {
    KeyConditionExpression: 'PK = :pk AND begins_with(SK, :deployment)',
    ExpressionAttributeValues: { ':pk': permissionSetKey(permissionSetId).PK, ':deployment': 'DEPLOYMENT#' },
    ConsistentRead: true,
  });
  const deployments = items
    .map(deploymentFromItem)
    .sort((a, b) => compare(`${a.AssignmentId}#${a.AwsAccountId}`, `${b.AssignmentId}#${b.AwsAccountId}`));
  return { Deployments: deployments.map(({ Version: _version, ...deployment }) => deployment) };
}

/** GET /20210321/permission-sets/{permission_set_id}/deployments (permissionSets.ListPermissionSetDeployments) */
export function listDeploymentsHandler(deps: () => PermissionSetReadDeps) {
  return permissionSetHandler('permissionSets.ListPermissionSetDeployments', async (request) => ({
    body: await listDeployments(deps(), permissionSetIdOf(request), request.query),
  }));
}

export const handler = listDeploymentsHandler(once(() => permissionSetReadDepsFromEnv()));
