import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type AccountRef, accountTypeFromItem, isProtectedAccount } from '@/lambdas/accounts/account-items';
import type { DeploymentMessage } from '@/lambdas/deployments/messages';
import { type ChangeContext, commitChange, writeInChunks } from '@/lambdas/permission-sets/change';
import { DeploymentsNotQueuedError } from '@/lambdas/permission-sets/deployments-not-queued';
import type { PermissionSetDeps, PermissionSetReadDeps } from '@/lambdas/permission-sets/deps';
import {
  type Assignment,
  accountTypeKey,
  assignmentFromItem,
  assignmentItem,
  assignmentKey,
  assignmentResponse,
  compare,
  DEPLOYMENT_STATUSES,
  type DeploymentStatus,
  deploymentFromItem,
  deploymentKey,
  getPermissionSet,
  isLive,
  type PermissionSet,
  permissionSetKey,
  SUMMARY_ATTRIBUTE,
  summariesFromAccountType,
} from '@/lambdas/permission-sets/items';
import { pageOf, pageRequest } from '@/lambdas/permission-sets/paging';
import { type AssignmentRequest, LIMITS } from '@/lambdas/permission-sets/validation';
import type { TransactItem } from '@/lambdas/shared/change';
import type { Db } from '@/lambdas/shared/db';
import { InvalidStateError, NotFoundError, ValidationError } from '@/lambdas/shared/errors';
import { newId } from '@/lambdas/shared/ids';
import { assertKnownQuery, csvParam, csvUuidParam } from '@/lambdas/shared/input';
import { ENTITY, entityKey } from '@/lambdas/shared/keys';
import { errorFields } from '@/lambdas/shared/logger';
import { type Item, numberAttr, queryAll, stringAttr } from '@/lambdas/shared/store';

/**
 * Assignments (a permission set × an account type × a group) and the deployments they fan
 * out to: one per ACTIVE account of the account type. The assignment, its permission set's
 * `AssignmentCount` and its account type's summary change together in one transaction (the
 * unit); its deployment items follow in transactions of at most 100, which are not
 * all-or-nothing with each other (each deployment is its own unit and the engine moves each
 * on alone); the `deploy`/`delete` messages are enqueued last. A request that fails after
 * its assignment is written leaves deployments `*_REQUESTED`: RedeployPermissionSetAssignment
 * writes and enqueues them again, and the hourly reconcile re-sends requests left waiting
 * (docs/decisions/0017-permission-sets.md). A queue that refuses the messages is a 503
 * (DeploymentsNotQueuedError), not a 500: the change itself was saved.
 */

/** Every assignment of a permission set, in one Query. */
export async function assignmentsOf(db: Db, permissionSetId: string): Promise<Assignment[]> {
  const items = await queryAll(db, {
    KeyConditionExpression: 'PK = :pk AND begins_with(SK, :assignment)',
    ExpressionAttributeValues: { ':pk': permissionSetKey(permissionSetId).PK, ':assignment': 'ASSIGNMENT#' },
    ConsistentRead: true,
  });
  return items.map(assignmentFromItem);
}

/** The assignments of a permission set that are not being deleted. */
export async function liveAssignments(db: Db, permissionSetId: string): Promise<Assignment[]> {
  return (await assignmentsOf(db, permissionSetId)).filter((assignment) => isLive(assignment.Status));
}

/** ListPermissionSetAssignments: by creation time, filtered, paged. An unknown permission set has none. */
export async function listAssignments(
  deps: PermissionSetReadDeps,
  permissionSetId: string,
  query: Readonly<Record<string, string>>,
) {
  assertKnownQuery(query, ['limit', 'page_token', 'status', 'created_by', 'group', 'account_type']);
  const page = pageRequest(query);
  const statuses = csvParam(query, 'status');
  for (const status of statuses ?? []) {
    if (!(DEPLOYMENT_STATUSES as readonly string[]).includes(status)) {
      throw new ValidationError('status', `must list values of ${DEPLOYMENT_STATUSES.join(', ')}`);
    }
  }
  const creators = csvUuidParam(query, 'created_by');
  const groups = csvUuidParam(query, 'group');
  const types = csvUuidParam(query, 'account_type');
  const assignments = (await assignmentsOf(deps.db, permissionSetId))
    .filter((assignment) => !statuses || statuses.includes(assignment.Status))
    .filter((assignment) => !creators || creators.includes(assignment.CreatedBy.toLowerCase()))
    .filter((assignment) => !groups || groups.includes(assignment.GroupId))
    .filter((assignment) => !types || types.includes(assignment.AccountTypeId))
    .sort((a, b) => compare(assignmentSortKey(a), assignmentSortKey(b)));
  const { records, Paging } = pageOf(assignments, assignmentSortKey, page);
  return { Assignments: records.map(assignmentResponse), Paging };
}

function assignmentSortKey(assignment: Assignment): string {
  return `${assignment.CreatedTS}#${assignment.Id}`;
}

async function getItem(db: Db, key: { PK: string; SK: string }): Promise<Item | undefined> {
  const { Item: item } = await db.doc.send(
    new GetCommand({ TableName: db.tableName, Key: key, ConsistentRead: true }),
  );
  return item;
}

/**
 * The accounts a deployment goes to: ACTIVE, with a 12-digit AWS account id, and not the
 * management, security or logging account (review M3; the worker refuses those too, for
 * summaries that predate the AccountRole they carry).
 */
function deployableAccounts(accountType: Item): AccountRef[] {
  return accountTypeFromItem(accountType).accounts.filter(
    (account) =>
      account.Status === 'ACTIVE' &&
      /^\d{12}$/.test(account.AwsAccountId) &&
      !isProtectedAccount(account.AccountRole),
  );
}

/**
 * CreatePermissionSetAssignments: one `{AccountTypeId, GroupId}`, both existing, not already
 * assigned (400), within the 100 assignments of the permission set; then its deployments.
 */
export async function createAssignment(
  deps: PermissionSetDeps,
  context: Omit<ChangeContext, 'operationId'>,
  permissionSetId: string,
  request: AssignmentRequest,
) {
  const { result } = await commitChange(
    deps,
    { ...context, operationId: 'permissionSets.CreatePermissionSetAssignments' },
    async () => {
      const [set, accountType, group, assignments] = await Promise.all([
        getPermissionSet(deps.db, permissionSetId),
        getItem(deps.db, accountTypeKey(request.AccountTypeId)),
        getItem(deps.db, entityKey(ENTITY.group, request.GroupId)),
        liveAssignments(deps.db, permissionSetId),
      ]);
      assertAssignable(set, request, accountType, group, assignments);
      const type = accountType as Item;
      const now = deps.clock.now().toISOString();
      const accounts = deployableAccounts(type);
      const assignment: Assignment = {
        Id: newId(),
        PermissionSetId: set.Id,
        AccountTypeId: request.AccountTypeId,
        GroupId: request.GroupId,
        Status: accounts.length > 0 ? 'CREATE_REQUESTED' : 'DEPLOYMENT_COMPLETE',
        CreatedBy: context.caller.id,
        CreatedTS: now,
        ModifiedTS: now,
        Version: 1,
      };
      const summaries = Object.fromEntries(
        summariesFromAccountType(type).map((summary) => [summary.AssignmentId, summary]),
      );
      summaries[assignment.Id] = {
        AssignmentId: assignment.Id,
        PermissionSetId: set.Id,
        RoleName: set.Name,
        GroupId: assignment.GroupId,
        MaxSessionDuration: set.MaxSessionDuration,
      };
      const typeVersion = numberAttr(type, 'Version');
      return {
        steps: [
          {
            item: {
              Put: {
                TableName: deps.db.tableName,
                Item: assignmentItem(assignment),
                ConditionExpression: 'attribute_not_exists(PK)',
              },
            },
          },
          { item: countUpdate(deps.db, set, 1) },
          {
            item: {
              Update: {
                TableName: deps.db.tableName,
                Key: accountTypeKey(assignment.AccountTypeId),
                UpdateExpression: 'SET #summary = :summary, #version = :next',
                ConditionExpression:
                  typeVersion === undefined
                    ? 'attribute_exists(PK) AND attribute_not_exists(#version)'
                    : '#version = :version',
                ExpressionAttributeNames: { '#summary': SUMMARY_ATTRIBUTE, '#version': 'Version' },
                ExpressionAttributeValues: {
                  ':summary': summaries,
                  ':next': (typeVersion ?? 0) + 1,
                  ...(typeVersion !== undefined && { ':version': typeVersion }),
                },
              },
            },
          },
        ],
        result: { set, assignment, accounts },
        targets: [
          { type: 'permission-set', id: set.Id, name: set.Name },
          { type: 'account-type', id: assignment.AccountTypeId },
          { type: 'group', id: assignment.GroupId },
        ],
        detail: { assignmentId: assignment.Id, accounts: accounts.length },
      };
    },
  );
  await writeDeployments(deps, result.set, result.assignment, result.accounts, 'CREATE_REQUESTED');
  return [assignmentResponse(result.assignment)];
}

function assertAssignable(
  set: PermissionSet,
  request: AssignmentRequest,
  accountType: Item | undefined,
  group: Item | undefined,
  assignments: readonly Assignment[],
): void {
  if (set.Status === 'DELETED') {
    throw new InvalidStateError(
      `Permission set ${JSON.stringify(set.Name)} is DELETED: it cannot be assigned`,
    );
  }
  if (!accountType) {
    throw new ValidationError('Body[0].AccountTypeId', `no account type has id ${request.AccountTypeId}`);
  }
  if (!group || stringAttr(group, 'Status') === 'DELETED') {
    throw new ValidationError('Body[0].GroupId', `no group has id ${request.GroupId}`);
  }
  const duplicate = assignments.find(
    (assignment) =>
      assignment.AccountTypeId === request.AccountTypeId && assignment.GroupId === request.GroupId,
  );
  if (duplicate) {
    throw new ValidationError(
      'Body[0]',
      `this group already has permission set ${JSON.stringify(set.Name)} on this account type (assignment ${duplicate.Id}): nothing to add`,
    );
  }
  if (assignments.length >= LIMITS.assignmentsPerPermissionSet) {
    throw new ValidationError(
      'Body[0]',
      `permission set ${JSON.stringify(set.Name)} already has ${assignments.length} assignments, the most it may have: delete one first`,
    );
  }
}

/**
 * The permission set's live-assignment count moved by `delta`, under its `Version` (so an
 * update or delete planned on the old count is planned again) and only while it is ACTIVE.
 */
function countUpdate(db: Db, set: PermissionSet, delta: 1 | -1): TransactItem {
  return {
    Update: {
      TableName: db.tableName,
      Key: permissionSetKey(set.Id),
      UpdateExpression: 'SET AssignmentCount = :count, #version = :next',
      ConditionExpression: '#version = :version AND #status = :active',
      ExpressionAttributeNames: { '#version': 'Version', '#status': 'Status' },
      ExpressionAttributeValues: {
        ':count': Math.max(0, set.AssignmentCount + delta),
        ':next': set.Version + 1,
        ':version': set.Version,
        ':active': 'ACTIVE',
      },
    },
  };
}

/** The assignment `assignmentId` of the permission set, or `missing()`. */
async function getAssignment(
  db: Db,
  permissionSetId: string,
  assignmentId: string,
  missing: () => Error,
): Promise<Assignment> {
  const item = await getItem(db, assignmentKey(permissionSetId, assignmentId));
  if (!item) throw missing();
  return assignmentFromItem(item);
}

/** DeletePermissionSetAssignment: the role stops being offered now; its deployments are removed. */
export async function deleteAssignment(
  deps: PermissionSetDeps,
  context: Omit<ChangeContext, 'operationId'>,
  permissionSetId: string,
  assignmentId: string,
) {
  const { result } = await commitChange(
    deps,
    { ...context, operationId: 'permissionSets.DeletePermissionSetAssignment' },
    async () => {
      const [set, assignment, deployments] = await Promise.all([
        getPermissionSet(deps.db, permissionSetId),
        getAssignment(
          deps.db,
          permissionSetId,
          assignmentId,
          () =>
            new ValidationError(
              'assignment_id',
              `permission set ${permissionSetId} has no assignment ${assignmentId}`,
            ),
        ),
        deploymentsOf(deps.db, permissionSetId, assignmentId),
      ]);
      if (!isLive(assignment.Status)) {
        throw new InvalidStateError(`Assignment ${assignmentId} is already ${assignment.Status}`);
      }
      const now = deps.clock.now().toISOString();
      const deleting: Assignment = {
        ...assignment,
        Status: deployments.length > 0 ? 'DELETE_REQUESTED' : 'DELETE_COMPLETE',
        ModifiedBy: context.caller.id,
        ModifiedTS: now,
        Version: assignment.Version + 1,
      };
      const accountType = await getItem(deps.db, accountTypeKey(assignment.AccountTypeId));
      return {
        steps: [
          {
            item: {
              Put: {
                TableName: deps.db.tableName,
                Item: assignmentItem(deleting),
                ConditionExpression: '#version = :version',
                ExpressionAttributeNames: { '#version': 'Version' },
                ExpressionAttributeValues: { ':version': assignment.Version },
              },
            },
          },
          ...(set.Status === 'ACTIVE' ? [{ item: countUpdate(deps.db, set, -1) }] : []),
          ...(accountType &&
          summariesFromAccountType(accountType).some((s) => s.AssignmentId === assignmentId)
            ? [{ item: summaryRemoval(deps.db, assignment, numberAttr(accountType, 'Version')) }]
            : []),
        ],
        result: { set, assignment: deleting, deployments },
        targets: [
          { type: 'permission-set', id: set.Id, name: set.Name },
          { type: 'permission-set-assignment', id: assignmentId },
        ],
        detail: { deployments: deployments.length },
      };
    },
  );
  const accounts = result.deployments.map((deployment) => ({
    AccountId: deployment.AccountId,
    AwsAccountId: deployment.AwsAccountId,
  }));
  await writeDeployments(deps, result.set, result.assignment, accounts, 'DELETE_REQUESTED');
  return assignmentResponse(result.assignment);
}

function summaryRemoval(db: Db, assignment: Assignment, version: number | undefined): TransactItem {
  return {
    Update: {
      TableName: db.tableName,
      Key: accountTypeKey(assignment.AccountTypeId),
      UpdateExpression: 'REMOVE #summary.#assignment SET #version = :next',
      ConditionExpression: version === undefined ? 'attribute_not_exists(#version)' : '#version = :version',
      ExpressionAttributeNames: {
        '#summary': SUMMARY_ATTRIBUTE,
        '#assignment': assignment.Id,
        '#version': 'Version',
      },
      ExpressionAttributeValues: {
        ':next': (version ?? 0) + 1,
        ...(version !== undefined && { ':version': version }),
      },
    },
  };
}

/** RedeployPermissionSetAssignment: every ACTIVE account of the type gets the role again. */
export async function redeployAssignment(
  deps: PermissionSetDeps,
  context: Omit<ChangeContext, 'operationId'>,
  permissionSetId: string,
  assignmentId: string,
) {
  const { result } = await commitChange(
    deps,
    { ...context, operationId: 'permissionSets.RedeployPermissionSetAssignment' },
    async () => {
      const [set, assignment] = await Promise.all([
        getPermissionSet(deps.db, permissionSetId),
        getAssignment(
          deps.db,
          permissionSetId,
          assignmentId,
          () => new NotFoundError('Assignment', assignmentId),
        ),
      ]);
      if (!isLive(assignment.Status) || set.Status === 'DELETED') {
        throw new InvalidStateError(
          `Assignment ${assignmentId} is ${assignment.Status}: only a live assignment is redeployed`,
        );
      }
      return {
        steps: [],
        result: { set, assignment },
        targets: [
          { type: 'permission-set', id: set.Id, name: set.Name },
          { type: 'permission-set-assignment', id: assignmentId },
        ],
      };
    },
  );
  const updated = await requestDeployments(
    deps,
    result.set,
    result.assignment,
    context.caller.id,
    'UPDATE_REQUESTED',
  );
  return assignmentResponse(updated);
}

/** The deployment items of one assignment. */
export async function deploymentsOf(db: Db, permissionSetId: string, assignmentId: string) {
  const items = await queryAll(db, {
    KeyConditionExpression: 'PK = :pk AND begins_with(SK, :deployment)',
    ExpressionAttributeValues: {
      ':pk': permissionSetKey(permissionSetId).PK,
      ':deployment': `DEPLOYMENT#${assignmentId}#`,
    },
    ConsistentRead: true,
  });
  return items.map(deploymentFromItem);
}

/**
 * Moves a live assignment to `status` and (re)deploys it to every ACTIVE account of its
 * account type: the assignment's status, then its deployment items, then `deploy` messages.
 */
export async function requestDeployments(
  deps: PermissionSetDeps,
  set: PermissionSet,
  assignment: Assignment,
  modifiedBy: string,
  status: 'UPDATE_REQUESTED',
): Promise<Assignment> {
  const accountType = await getItem(deps.db, accountTypeKey(assignment.AccountTypeId));
  const accounts = accountType ? deployableAccounts(accountType) : [];
  const now = deps.clock.now().toISOString();
  const next: Assignment = {
    ...assignment,
    Status: accounts.length > 0 ? status : 'DEPLOYMENT_COMPLETE',
    ModifiedBy: modifiedBy,
    ModifiedTS: now,
    Version: assignment.Version + 1,
  };
  await updateLiveAssignment(deps, set, assignment, next);
  await writeDeployments(deps, set, next, accounts, status);
  return next;
}

/** Writes the assignment's new status, unless it was deleted meanwhile (InvalidStateError). */
async function updateLiveAssignment(
  deps: PermissionSetDeps,
  set: PermissionSet,
  assignment: Assignment,
  next: Assignment,
) {
  const modifiedBy = next.ModifiedBy ?? '';
  const now = next.ModifiedTS ?? '';
  try {
    await deps.db.doc.send(
      new UpdateCommand({
        TableName: deps.db.tableName,
        Key: assignmentKey(set.Id, assignment.Id),
        UpdateExpression: 'SET #status = :status, ModifiedBy = :by, ModifiedTS = :now ADD #version :one',
        ConditionExpression: 'attribute_exists(PK) AND NOT begins_with(#status, :delete)',
        ExpressionAttributeNames: { '#status': 'Status', '#version': 'Version' },
        ExpressionAttributeValues: {
          ':status': next.Status,
          ':by': modifiedBy,
          ':now': now,
          ':one': 1,
          ':delete': 'DELETE_',
        },
      }),
    );
  } catch (error) {
    if (error instanceof Error && error.name === 'ConditionalCheckFailedException') {
      throw new InvalidStateError(`Assignment ${assignment.Id} was deleted meanwhile: it is not redeployed`);
    }
    throw error;
  }
}

/**
 * Writes one deployment item per account in `status`, then enqueues their messages; when the
 * queue refuses them, the items stay in `status` and DeploymentsNotQueuedError (503) says so.
 */
async function writeDeployments(
  deps: PermissionSetDeps,
  set: PermissionSet,
  assignment: Assignment,
  accounts: readonly Pick<AccountRef, 'AccountId' | 'AwsAccountId'>[],
  status: DeploymentStatus,
): Promise<void> {
  if (accounts.length === 0) return;
  const requestedAt = deps.clock.now().toISOString();
  await writeInChunks(
    deps,
    accounts.map((account) => deploymentUpdate(deps.db, set.Id, assignment.Id, account, status, requestedAt)),
  );
  const action = status === 'DELETE_REQUESTED' ? 'delete' : 'deploy';
  const messages = accounts.map(
    (account): DeploymentMessage => ({
      permissionSetId: set.Id,
      assignmentId: assignment.Id,
      awsAccountId: account.AwsAccountId,
      action,
      requestedAt,
    }),
  );
  try {
    await deps.queue.enqueue(messages);
  } catch (error) {
    deps.logger.error('deployment messages not enqueued: the deployments stay requested', {
      permissionSetId: set.Id,
      assignmentId: assignment.Id,
      status,
      ...errorFields(error),
    });
    throw new DeploymentsNotQueuedError(
      [{ permissionSetId: set.Id, assignmentId: assignment.Id, status }],
      error,
    );
  }
}

function deploymentUpdate(
  db: Db,
  permissionSetId: string,
  assignmentId: string,
  account: Pick<AccountRef, 'AccountId' | 'AwsAccountId'>,
  status: DeploymentStatus,
  now: string,
): TransactItem {
  return {
    Update: {
      TableName: db.tableName,
      Key: deploymentKey(permissionSetId, assignmentId, account.AwsAccountId),
      UpdateExpression:
        'SET PermissionSetId = :set, AssignmentId = :assignment, AwsAccountId = :aws, AccountId = :account, #status = :status, RequestedAt = :now, ModifiedTS = :now REMOVE StatusReason ADD #version :one',
      ExpressionAttributeNames: { '#status': 'Status', '#version': 'Version' },
      ExpressionAttributeValues: {
        ':set': permissionSetId,
        ':assignment': assignmentId,
        ':aws': account.AwsAccountId,
        ':account': account.AccountId,
        ':status': status,
        ':now': now,
        ':one': 1,
      },
    },
  };
}

/**
 * After a MaxSessionDuration change: the account types' summaries of the live assignments
 * carry the new session length (each entry updated where it still exists).
 */
export async function refreshSessionSummaries(
  deps: PermissionSetDeps,
  set: PermissionSet,
  assignments: readonly Assignment[],
): Promise<void> {
  for (const assignment of assignments) {
    try {
      await deps.db.doc.send(
        new UpdateCommand({
          TableName: deps.db.tableName,
          Key: accountTypeKey(assignment.AccountTypeId),
          UpdateExpression: 'SET #summary.#assignment.MaxSessionDuration = :duration ADD #version :one',
          ConditionExpression: 'attribute_exists(#summary.#assignment)',
          ExpressionAttributeNames: {
            '#summary': SUMMARY_ATTRIBUTE,
            '#assignment': assignment.Id,
            '#version': 'Version',
          },
          ExpressionAttributeValues: { ':duration': set.MaxSessionDuration, ':one': 1 },
        }),
      );
    } catch (error) {
      // The assignment was deleted meanwhile: its summary is gone, nothing to refresh.
      if (!(error instanceof Error) || error.name !== 'ConditionalCheckFailedException') throw error;
    }
  }
}
