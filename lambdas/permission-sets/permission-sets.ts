import {
  liveAssignments,
  refreshSessionSummaries,
  requestDeployments,
} from '@/lambdas/permission-sets/assignments';
import { type ChangeContext, commitChange } from '@/lambdas/permission-sets/change';
import { DeploymentsNotQueuedError } from '@/lambdas/permission-sets/deployments-not-queued';
import type { PermissionSetDeps, PermissionSetReadDeps } from '@/lambdas/permission-sets/deps';
import {
  compare,
  getPermissionSet,
  nameGuardItem,
  nameGuardKey,
  PERMISSION_SET,
  PERMISSION_SET_STATUSES,
  type PermissionSet,
  type PermissionSetStatus,
  permissionSetFromItem,
  permissionSetItem,
  permissionSetResponse,
} from '@/lambdas/permission-sets/items';
import { pageOf, pageRequest } from '@/lambdas/permission-sets/paging';
import {
  type CreatePermissionSetBody,
  LIMITS,
  type PermissionSetFields,
} from '@/lambdas/permission-sets/validation';
import { ConflictError, InvalidStateError, ValidationError } from '@/lambdas/shared/errors';
import { newId } from '@/lambdas/shared/ids';
import { assertKnownQuery, csvParam, csvUuidParam } from '@/lambdas/shared/input';
import { listByKind } from '@/lambdas/shared/store';

/** Permission sets themselves: list, create, read, update (which redeploys), delete. */

/** ListPermissionSets: by name, filtered by `status` and `created_by`, paged. */
export async function listPermissionSets(
  deps: PermissionSetReadDeps,
  query: Readonly<Record<string, string>>,
) {
  assertKnownQuery(query, ['limit', 'page_token', 'status', 'created_by']);
  const page = pageRequest(query);
  const statuses = csvParam(query, 'status');
  for (const status of statuses ?? []) {
    if (!(PERMISSION_SET_STATUSES as readonly string[]).includes(status)) {
      throw new ValidationError('status', `must list values of ${PERMISSION_SET_STATUSES.join(', ')}`);
    }
  }
  const creators = csvUuidParam(query, 'created_by');
  const sets = (await listByKind(deps.db, PERMISSION_SET))
    .map(permissionSetFromItem)
    .filter((set) => !statuses || statuses.includes(set.Status))
    .filter((set) => !creators || creators.includes(set.CreatedBy.toLowerCase()))
    .sort((a, b) => compare(sortKey(a), sortKey(b)));
  const { records, Paging } = pageOf(sets, sortKey, page);
  return { PermissionSets: records.map(permissionSetResponse), Paging };
}

function sortKey(set: PermissionSet): string {
  return `${set.Name.toLowerCase()}#${set.Id}`;
}

/** CreatePermissionSet: a unique name (case-insensitive, 409 when taken), defaults filled in. */
export async function createPermissionSet(
  deps: PermissionSetDeps,
  context: Omit<ChangeContext, 'operationId'>,
  body: CreatePermissionSetBody,
) {
  const now = deps.clock.now().toISOString();
  const set: PermissionSet = {
    Id: newId(),
    Name: body.Name,
    ...(body.Description !== undefined && { Description: body.Description }),
    AWSManagedPolicies: body.AWSManagedPolicies ?? [],
    InlinePolicies: body.InlinePolicies ?? [],
    MaxSessionDuration: body.MaxSessionDuration ?? LIMITS.session.default,
    ...(body.Tags !== undefined && { Tags: body.Tags }),
    Status: 'ACTIVE',
    CreatedBy: context.caller.id,
    CreatedTS: now,
    ModifiedTS: now,
    Version: 1,
    AssignmentCount: 0,
  };
  const taken = () =>
    new ConflictError(
      `Body.Name: a permission set named ${JSON.stringify(set.Name)} already exists (names are case-insensitive): choose another name`,
    );
  await commitChange(deps, { ...context, operationId: 'permissionSets.CreatePermissionSet' }, async () => ({
    steps: [
      {
        item: {
          Put: {
            TableName: deps.db.tableName,
            Item: permissionSetItem(set),
            ConditionExpression: 'attribute_not_exists(PK)',
          },
        },
      },
      {
        item: {
          Put: {
            TableName: deps.db.tableName,
            Item: nameGuardItem(set.Name, set.Id),
            ConditionExpression: 'attribute_not_exists(PK)',
          },
        },
        onConditionFailed: taken,
      },
    ],
    result: set,
    targets: [{ type: 'permission-set', id: set.Id, name: set.Name }],
    detail: { name: set.Name },
  }));
  return permissionSetResponse(set);
}

/**
 * UpdatePermissionSet: the fields given replace the stored ones; then every live
 * assignment is redeployed (UPDATE_REQUESTED) so the roles in the accounts follow. The
 * assignments whose messages the queue refused are named in one 503 after all were tried.
 */
export async function updatePermissionSet(
  deps: PermissionSetDeps,
  context: Omit<ChangeContext, 'operationId'>,
  id: string,
  fields: PermissionSetFields,
) {
  const { result: updated } = await commitChange(
    deps,
    { ...context, operationId: 'permissionSets.UpdatePermissionSet' },
    async () => {
      const set = await getPermissionSet(deps.db, id);
      if (set.Status === 'DELETED') {
        throw new InvalidStateError(
          `Permission set ${JSON.stringify(set.Name)} is DELETED: it cannot be changed`,
        );
      }
      const now = deps.clock.now().toISOString();
      const next: PermissionSet = {
        ...set,
        ...fields,
        ModifiedBy: context.caller.id,
        ModifiedTS: now,
        Version: set.Version + 1,
      };
      return {
        steps: [
          {
            item: {
              Put: {
                TableName: deps.db.tableName,
                Item: permissionSetItem(next),
                ConditionExpression: '#version = :version AND #status = :active',
                ExpressionAttributeNames: { '#version': 'Version', '#status': 'Status' },
                ExpressionAttributeValues: { ':version': set.Version, ':active': 'ACTIVE' },
              },
            },
          },
        ],
        result: next,
        targets: [{ type: 'permission-set', id: set.Id, name: set.Name }],
        detail: { fields: Object.keys(fields) },
      };
    },
  );
  const assignments = await liveAssignments(deps.db, id);
  if (fields.MaxSessionDuration !== undefined) await refreshSessionSummaries(deps, updated, assignments);
  const unqueued: DeploymentsNotQueuedError[] = [];
  for (const assignment of assignments) {
    try {
      await requestDeployments(deps, updated, assignment, context.caller.id, 'UPDATE_REQUESTED');
    } catch (error) {
      // Not queued: the next assignments are still requested, then one 503 names them all.
      if (error instanceof DeploymentsNotQueuedError) unqueued.push(error);
      // Deleted since it was read: its deployments are being removed, not updated.
      else if (!(error instanceof InvalidStateError)) throw error;
    }
  }
  if (unqueued.length > 0) throw DeploymentsNotQueuedError.merge(unqueued);
  return permissionSetResponse(updated);
}

/** DeletePermissionSet: only without live assignments; frees its name, keeps the record as DELETED. */
export async function deletePermissionSet(
  deps: PermissionSetDeps,
  context: Omit<ChangeContext, 'operationId'>,
  id: string,
) {
  const { result } = await commitChange(
    deps,
    { ...context, operationId: 'permissionSets.DeletePermissionSet' },
    async () => {
      const set = await getPermissionSet(deps.db, id);
      if (set.Status === 'DELETED') {
        throw new InvalidStateError(`Permission set ${JSON.stringify(set.Name)} is already DELETED`);
      }
      if (set.AssignmentCount > 0) {
        throw new InvalidStateError(
          `Permission set ${JSON.stringify(set.Name)} still has ${set.AssignmentCount} assignment(s): delete them first (DELETE /20210321/permission-sets/${id}/assignments/{assignment_id})`,
        );
      }
      const now = deps.clock.now().toISOString();
      const deleted: PermissionSet = {
        ...set,
        Status: 'DELETED' satisfies PermissionSetStatus,
        ModifiedBy: context.caller.id,
        ModifiedTS: now,
        Version: set.Version + 1,
      };
      return {
        steps: [
          {
            item: {
              Put: {
                TableName: deps.db.tableName,
                Item: permissionSetItem(deleted),
                ConditionExpression: '#version = :version',
                ExpressionAttributeNames: { '#version': 'Version' },
                ExpressionAttributeValues: { ':version': set.Version },
              },
            },
          },
          { item: { Delete: { TableName: deps.db.tableName, Key: nameGuardKey(set.Name) } } },
        ],
        result: deleted,
        targets: [{ type: 'permission-set', id: set.Id, name: set.Name }],
      };
    },
  );
  return permissionSetResponse(result);
}
