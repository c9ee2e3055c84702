import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { AccountIamProvider } from '@/lambdas/deployments/account-iam';
import { retrying } from '@/lambdas/deployments/converge';
import {
  type DeploymentItem,
  type DeploymentStatus,
  type DeploymentStore,
  type PermissionSetItem,
  permissionSetPk,
  requestDeployment,
} from '@/lambdas/deployments/deployment-store';
import {
  ABANDONED_AFTER_MINUTES,
  type DeploymentMessage,
  type DeploymentQueue,
} from '@/lambdas/deployments/messages';
import { desiredRole, planRole, type RoleChange } from '@/lambdas/deployments/role-model';
import { aggregateAssignment } from '@/lambdas/deployments/run-deployment';
import { REQUEUE_AFTER_MINUTES } from '@/lambdas/permission-sets/deployments-not-queued';
import { type AuditSink, auditEvent } from '@/lambdas/shared/audit';
import type { Clock, Db } from '@/lambdas/shared/db';
import { errorFields, type Logger } from '@/lambdas/shared/logger';
import type { RetryOptions } from '@/lambdas/shared/retry';

/**
 * The scheduled reconcile (issue 6, item 4): every deployment in DEPLOYMENT_COMPLETE has its
 * live role read and compared with the permission set. A role changed or deleted outside
 * staxid is drift: it is recorded as a `permissionSets.DriftDetected` audit event naming what
 * differed, and a `deploy` is requested (UPDATE_REQUESTED / CREATE_REQUESTED) and enqueued
 * so that the worker repairs it. One deployment's failure is logged and does not stop the rest.
 * The same hourly run first re-sends deployments whose message was lost: left `*_REQUESTED`, or
 * `*_IN_PROGRESS` by a worker killed on the last delivery (requeueStalledDeployments).
 */

export interface ReconcileDeps {
  readonly db: Db;
  readonly store: DeploymentStore;
  readonly iam: AccountIamProvider;
  readonly queue: DeploymentQueue;
  readonly audit: AuditSink;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly retry?: RetryOptions;
}

export interface ReconcileSummary {
  readonly checked: number;
  readonly drifted: number;
  readonly failed: number;
}

/** What one scheduled run did: the stalled deployments it re-sent, then the drift check. */
export type ScheduledReconcileSummary = { readonly stalled: RequeueSummary } & ReconcileSummary;

/** One scheduled run: re-sends stalled deployments, then checks every completed one for drift. */
export async function scheduledReconcile(deps: ReconcileDeps): Promise<ScheduledReconcileSummary> {
  const stalled = await requeueStalledDeployments(deps);
  return { stalled, ...(await reconcile(deps)) };
}

/** The audit event type of a drift. */
export const DRIFT_DETECTED = 'permissionSets.DriftDetected';

/** Checks every completed deployment of every permission set. */
export async function reconcile(deps: ReconcileDeps): Promise<ReconcileSummary> {
  let checked = 0;
  let drifted = 0;
  let failed = 0;
  const live = (await listPermissionSets(deps.db)).filter((item) => item.Status !== 'DELETED');
  for (const permissionSet of live) {
    for (const deployment of await completedDeployments(deps.db, permissionSet.Id)) {
      checked++;
      try {
        if (await reconcileDeployment(deps, permissionSet, deployment)) drifted++;
      } catch (error) {
        failed++;
        deps.logger.error('reconcile of a permission set role failed; the next run tries again', {
          permissionSetId: permissionSet.Id,
          awsAccountId: deployment.AwsAccountId,
          ...errorFields(error),
        });
      }
    }
  }
  deps.logger.info('permission set reconcile finished', { checked, drifted, failed });
  return { checked, drifted, failed };
}

/** Compares one role with its permission set; on drift audits it and requests a repair. True on drift. */
async function reconcileDeployment(
  deps: ReconcileDeps,
  permissionSet: PermissionSetItem,
  deployment: DeploymentItem,
): Promise<boolean> {
  const desired = desiredRole(permissionSet, deps.iam.partition, deployment.AwsAccountId);
  const iam = await deps.iam.account(deployment.AwsAccountId);
  const live = await retrying(() => iam.readRole(desired.name), deps.retry);
  const changes = planRole(desired, live);
  if (changes.length === 0) return false;
  const now = deps.clock.now();
  await deps.audit.write(
    auditEvent({
      type: DRIFT_DETECTED,
      actor: { type: 'system', id: 'staxid-permission-set-reconcile' },
      targets: [
        { type: 'permission-set', id: permissionSet.Id, name: permissionSet.Name },
        { type: 'account', id: deployment.AccountId },
      ],
      detail: {
        awsAccountId: deployment.AwsAccountId,
        assignmentId: deployment.AssignmentId,
        roleName: desired.name,
        differences: changes.map(describe),
      },
      time: now,
    }),
  );
  const message = await requestDeployment(
    deps.store,
    {
      permissionSetId: deployment.PermissionSetId,
      assignmentId: deployment.AssignmentId,
      awsAccountId: deployment.AwsAccountId,
      accountId: deployment.AccountId,
      action: 'deploy',
    },
    now.toISOString(),
    'DEPLOYMENT_COMPLETE',
  );
  if (message) await deps.queue.enqueue([message]);
  return true;
}

/** What differs, in words an auditor reads: `role missing`, `inline policy s3 differs`, ... */
function describe(change: RoleChange): string {
  switch (change.kind) {
    case 'createRole':
      return 'role missing';
    case 'updateRole':
      return 'description or MaxSessionDuration differs';
    case 'updateTrustPolicy':
      return 'trust policy differs';
    case 'putInlinePolicy':
      return `inline policy ${change.policyName} missing or differs`;
    case 'deleteInlinePolicy':
      return `inline policy ${change.policyName} added outside staxid`;
    case 'attachManagedPolicy':
      return `managed policy ${change.policyArn} detached`;
    case 'detachManagedPolicy':
      return `managed policy ${change.policyArn} attached outside staxid`;
    case 'tagRole':
      return `tags ${Object.keys(change.tags).sort().join(', ')} missing or differ`;
    case 'untagRole':
      return `tags ${change.keys.join(', ')} added outside staxid`;
    case 'deleteRole':
      return 'role to be deleted';
  }
}

export interface RequeueSummary {
  readonly requeued: number;
  readonly failed: number;
  /** Abandoned runs re-sent MAX_ABANDONED_RESENDS times already: recorded as failed instead. */
  readonly gaveUp: number;
}

const REQUESTED = new Set<DeploymentStatus>(['CREATE_REQUESTED', 'UPDATE_REQUESTED', 'DELETE_REQUESTED']);
const IN_PROGRESS = new Set<DeploymentStatus>(['DEPLOYMENT_IN_PROGRESS', 'DELETE_IN_PROGRESS']);

/**
 * Re-sends of one abandoned run before the reconcile records it as failed instead: a run that
 * kills its worker every time (a timeout, out of memory) would otherwise hold its account's
 * FIFO group for five deliveries every hour, forever, with the role changes behind it waiting.
 */
export const MAX_ABANDONED_RESENDS = 3;

/**
 * Sends again the message of every deployment that waits for a message nobody will deliver,
 * so that a lost message heals without a human and no deployment is left waiting:
 * - `*_REQUESTED` more than REQUEUE_AFTER_MINUTES after it was requested: its message was
 *   lost (the API's enqueue failed after the items were written, a 503) or never arrived;
 * - `*_IN_PROGRESS` untouched for ABANDONED_AFTER_MINUTES: the worker was killed on the
 *   message's last delivery, before it could record the outcome. The re-send is counted on
 *   the item first (`Resends`, conditional on its Version, so a run that has just started
 *   wins); after MAX_ABANDONED_RESENDS the deployment is recorded `*_FAILED` with the reason
 *   and its assignment aggregated, as the worker's last delivery would have done.
 * The message carries the item's own RequestedAt, so the worker runs it once and drops any
 * duplicate. Deleted permission sets are included: their roles may still be being removed.
 */
export async function requeueStalledDeployments(
  deps: Pick<ReconcileDeps, 'db' | 'store' | 'queue' | 'clock' | 'logger'>,
): Promise<RequeueSummary> {
  const minutesAgo = (minutes: number) =>
    new Date(deps.clock.now().getTime() - minutes * 60_000).toISOString();
  const requestedBefore = minutesAgo(REQUEUE_AFTER_MINUTES);
  const touchedBefore = minutesAgo(ABANDONED_AFTER_MINUTES);
  let requeued = 0;
  let failed = 0;
  let gaveUp = 0;
  for (const permissionSet of await listPermissionSets(deps.db)) {
    const messages: DeploymentMessage[] = [];
    for (const item of await deploymentsOf(deps.db, permissionSet.Id)) {
      if (REQUESTED.has(item.Status) && item.RequestedAt <= requestedBefore) {
        messages.push(messageOf(item));
      } else if (IN_PROGRESS.has(item.Status) && item.ModifiedTS <= touchedBefore) {
        if ((item.Resends ?? 0) >= MAX_ABANDONED_RESENDS) {
          if (await recordAbandoned(deps, item)) gaveUp++;
        } else if (await countResend(deps, item)) {
          messages.push(messageOf(item));
        }
      }
    }
    if (messages.length === 0) continue;
    try {
      await deps.queue.enqueue(messages);
      requeued += messages.length;
    } catch (error) {
      failed += messages.length;
      deps.logger.error('stalled deployments not re-sent; the next run tries again', {
        permissionSetId: permissionSet.Id,
        deployments: messages.length,
        ...errorFields(error),
      });
    }
  }
  deps.logger.info('stalled permission set deployments re-sent', { requeued, failed, gaveUp });
  return { requeued, failed, gaveUp };
}

/** Counts a re-send of an abandoned run on its item; false when a run touched the item meanwhile. */
function countResend(deps: Pick<ReconcileDeps, 'store' | 'clock'>, item: DeploymentItem): Promise<boolean> {
  return deps.store.putDeployment(
    {
      ...item,
      Resends: (item.Resends ?? 0) + 1,
      ModifiedTS: deps.clock.now().toISOString(),
      Version: item.Version + 1,
    },
    item.Version,
  );
}

/** Records a run abandoned once too often as failed, then aggregates its assignment. */
async function recordAbandoned(
  deps: Pick<ReconcileDeps, 'store' | 'clock' | 'logger'>,
  item: DeploymentItem,
): Promise<boolean> {
  const reason = `the worker was stopped (timeout or out of memory) before it finished, ${MAX_ABANDONED_RESENDS + 1} times in a row: see the deployment worker's logs, then RedeployPermissionSetAssignment`;
  const recorded = await deps.store.putDeployment(
    {
      ...item,
      Status: item.Status.startsWith('DELETE_') ? 'DELETE_FAILED' : 'DEPLOYMENT_FAILED',
      StatusReason: reason,
      RequestedStatus: undefined,
      ModifiedTS: deps.clock.now().toISOString(),
      Version: item.Version + 1,
    },
    item.Version,
  );
  if (!recorded) return false;
  deps.logger.error('permission set deployment abandoned too often: recorded as failed', {
    permissionSetId: item.PermissionSetId,
    assignmentId: item.AssignmentId,
    awsAccountId: item.AwsAccountId,
  });
  await aggregateAssignment(deps.store, item.PermissionSetId, item.AssignmentId, deps.clock);
  return true;
}

function messageOf(item: DeploymentItem): DeploymentMessage {
  return {
    permissionSetId: item.PermissionSetId,
    assignmentId: item.AssignmentId,
    awsAccountId: item.AwsAccountId,
    action: item.Status.startsWith('DELETE_') ? 'delete' : 'deploy',
    requestedAt: item.RequestedAt,
  };
}

/** Every permission set, DELETED ones included. */
async function listPermissionSets(db: Db): Promise<PermissionSetItem[]> {
  return queryAll<PermissionSetItem>(db, {
    IndexName: 'GSI1',
    KeyConditionExpression: 'GSI1PK = :pk',
    ExpressionAttributeValues: { ':pk': 'PERMSET' },
  });
}

async function deploymentsOf(db: Db, permissionSetId: string): Promise<DeploymentItem[]> {
  return queryAll<DeploymentItem>(db, {
    KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
    ExpressionAttributeValues: { ':pk': permissionSetPk(permissionSetId), ':prefix': 'DEPLOYMENT#' },
  });
}

async function completedDeployments(db: Db, permissionSetId: string): Promise<DeploymentItem[]> {
  return (await deploymentsOf(db, permissionSetId)).filter((item) => item.Status === 'DEPLOYMENT_COMPLETE');
}

async function queryAll<T>(
  db: Db,
  query: Omit<ConstructorParameters<typeof QueryCommand>[0], 'TableName' | 'ExclusiveStartKey'>,
): Promise<T[]> {
  const items: T[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await db.doc.send(
      new QueryCommand({ ...query, TableName: db.tableName, ExclusiveStartKey: startKey }),
    );
    items.push(...((page.Items ?? []) as T[]));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}
