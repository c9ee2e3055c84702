import { type Entitlement, entitlementRoleArn, entitlementsOf } from '@/lambdas/aws/entitlements';
import type { PermissionSetReadDeps } from '@/lambdas/permission-sets/deps';
import {
  compare,
  type Deployment,
  deploymentFromItem,
  PERMISSION_SET,
  type PermissionSet,
  permissionSetFromItem,
} from '@/lambdas/permission-sets/items';
import { pageOf, pageRequest } from '@/lambdas/permission-sets/paging';
import { PERMISSION_SET_ROLE_PATH, roleArn } from '@/lambdas/shared/constants';
import { ForbiddenError } from '@/lambdas/shared/errors';
import { nameBasedId } from '@/lambdas/shared/ids';
import { assertKnownQuery, uuidParam } from '@/lambdas/shared/input';
import type { Caller } from '@/lambdas/shared/permissions';
import { listByKind, mapConcurrent, queryAll } from '@/lambdas/shared/store';
import { currentUser } from '@/lambdas/users/user-queries';

/**
 * The roles permission sets put in accounts (ListRoles) and those the caller may use
 * (ListMyRoles), as the spec's RoleRecord. The spec's RoleRecord has a permission set, an
 * assignment and a deployment: built-in roles are not permission sets and are not listed
 * here (they are in `GET /20190206/users/me/aws-roles`).
 */

export interface RoleRecord {
  readonly PermissionSetId: string;
  readonly AssignmentId: string;
  readonly DeploymentId: string;
  readonly AWSAccountId: string;
  readonly RoleName: string;
  readonly RoleArn: string;
  readonly Status: 'ACTIVE' | 'UPDATE_IN_PROGRESS';
}

/** A deployment's stable id (the spec's DeploymentId): the same (assignment, account) gives the same id. */
export function deploymentId(assignmentId: string, awsAccountId: string): string {
  return nameBasedId(`deployment:${assignmentId}:${awsAccountId}`);
}

/**
 * A role is in the account once deployed (ACTIVE), and still there while an update is
 * requested (UPDATE_IN_PROGRESS). Other states are not roles one can rely on: not yet
 * created, failed, or being removed.
 */
function roleStatus(deployment: Deployment): RoleRecord['Status'] | undefined {
  if (deployment.Status === 'DEPLOYMENT_COMPLETE') return 'ACTIVE';
  if (deployment.Status === 'UPDATE_REQUESTED') return 'UPDATE_IN_PROGRESS';
  return undefined;
}

function roleSortKey(role: RoleRecord): string {
  return `${role.AWSAccountId}#${role.RoleName}#${role.AssignmentId}`;
}

/** ListRoles: the permission-set roles deployed, optionally in one account (`account_id`, Stax id). */
export async function listRoles(deps: PermissionSetReadDeps, query: Readonly<Record<string, string>>) {
  assertKnownQuery(query, ['page_token', 'account_id']);
  const page = pageRequest(query, false);
  const accountId = query.account_id === undefined ? undefined : uuidParam(query, 'account_id');
  const sets = (await listByKind(deps.db, PERMISSION_SET)).map(permissionSetFromItem);
  const perSet = await mapConcurrent(sets, 8, (set) => rolesOf(deps, set, accountId));
  const roles = perSet.flat().sort((a, b) => compare(roleSortKey(a), roleSortKey(b)));
  const { records, Paging } = pageOf(roles, roleSortKey, page);
  return { Roles: records, Paging };
}

async function rolesOf(deps: PermissionSetReadDeps, set: PermissionSet, accountId: string | undefined) {
  const items = await queryAll(deps.db, {
    KeyConditionExpression: 'PK = :pk AND begins_with(SK, :deployment)',
    ExpressionAttributeValues: { ':pk': `${PERMISSION_SET}#${set.Id}`, ':deployment': 'DEPLOYMENT#' },
  });
  return items.map(deploymentFromItem).flatMap((deployment): RoleRecord[] => {
    const status = roleStatus(deployment);
    if (!status || (accountId !== undefined && deployment.AccountId !== accountId)) return [];
    return [
      {
        PermissionSetId: set.Id,
        AssignmentId: deployment.AssignmentId,
        DeploymentId: deploymentId(deployment.AssignmentId, deployment.AwsAccountId),
        AWSAccountId: deployment.AwsAccountId,
        RoleName: set.Name,
        RoleArn: roleArn(
          deps.partition,
          deployment.AwsAccountId,
          `${PERMISSION_SET_ROLE_PATH.slice(1)}${set.Name}`,
        ),
        Status: status,
      },
    ];
  });
}

/**
 * ListMyRoles: the permission-set roles the calling person may sign in to, from their
 * entitlements. Only people: an API token is refused (403), as is a user who is not ACTIVE.
 */
export async function listMyRoles(
  deps: PermissionSetReadDeps,
  caller: Caller,
  query: Readonly<Record<string, string>>,
) {
  assertKnownQuery(query, ['page_token', 'limit']);
  const page = pageRequest(query);
  if (caller.kind !== 'user') {
    throw new ForbiddenError('ListMyRoles is for users: an API token holds no roles of its own');
  }
  const [user, entitlements] = await Promise.all([
    currentUser(deps.db, caller),
    entitlementsOf(deps.db, caller.id, deps.clock.now()),
  ]);
  if (user.Status !== 'ACTIVE') {
    throw new ForbiddenError(`your user is ${user.Status}: only an ACTIVE user holds roles`);
  }
  const roles = entitlements
    .filter((entitlement) => entitlement.source === 'permission-set')
    .map((entitlement) => myRole(deps.partition, entitlement))
    .sort((a, b) => compare(roleSortKey(a), roleSortKey(b)));
  const { records, Paging } = pageOf(roles, roleSortKey, page);
  return { Roles: records, Paging };
}

function myRole(partition: string, entitlement: Entitlement): RoleRecord {
  const assignmentId = entitlement.assignmentId ?? '';
  return {
    PermissionSetId: entitlement.permissionSetId ?? '',
    AssignmentId: assignmentId,
    DeploymentId: deploymentId(assignmentId, entitlement.awsAccountId),
    AWSAccountId: entitlement.awsAccountId,
    RoleName: entitlement.roleName,
    RoleArn: entitlementRoleArn(partition, entitlement),
    Status: 'ACTIVE',
  };
}
