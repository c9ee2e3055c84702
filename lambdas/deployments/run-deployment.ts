import { isProtectedAccount } from '@/lambdas/accounts/account-items';
import type { AccountIamProvider } from '@/lambdas/deployments/account-iam';
import { convergeRole, RoleNameTakenError, removeRole } from '@/lambdas/deployments/converge';
import type {
  AssignmentItem,
  DeploymentItem,
  DeploymentStatus,
  DeploymentStore,
} from '@/lambdas/deployments/deployment-store';
import type { DeploymentMessage } from '@/lambdas/deployments/messages';
import { PermanentDeploymentError } from '@/lambdas/deployments/permanent-deployment-error';
import { desiredRole, type RoleChange } from '@/lambdas/deployments/role-model';
import type { Clock } from '@/lambdas/shared/db';
import type { RetryOptions } from '@/lambdas/shared/retry';

/**
 * One deployment message, start to end: the deployment item moves `*_REQUESTED` →
 * `*_IN_PROGRESS` → `*_COMPLETE` | `*_FAILED` with writes conditional on its Version; the
 * role is converged (or removed) in between; then the assignment's Status is aggregated from
 * all its deployments. A message older than the item's RequestedAt, or for an item no longer
 * waiting for it, is dropped. A run that fails for a reason redelivery may cure puts the item
 * back to its `*_REQUESTED` status and throws, so SQS redelivers; a permanent failure, or the
 * last delivery's, is recorded as `*_FAILED` with the reason. Nothing stays IN_PROGRESS.
 */

export interface DeploymentDeps {
  readonly store: DeploymentStore;
  readonly iam: AccountIamProvider;
  readonly clock: Clock;
  readonly retry?: RetryOptions;
}

/** What became of a message. */
export type DeploymentOutcome =
  | { readonly result: 'stale' }
  | { readonly result: 'superseded' }
  | { readonly result: 'complete'; readonly changes: readonly RoleChange[] }
  | { readonly result: 'failed'; readonly reason: string };

/** Another writer changed the deployment item between our read and write: redelivery re-reads it. */
export class DeploymentRaceError extends Error {
  readonly code = 'DeploymentRaceError';

  constructor(key: string) {
    super(`deployment ${key} changed while it was being started`);
    this.name = 'DeploymentRaceError';
  }
}

/** IAM errors that no retry cures: the permission set asks for something IAM refuses. */
const PERMANENT_IAM_ERRORS = new Set([
  'MalformedPolicyDocument',
  'InvalidInput',
  'LimitExceeded',
  'ValidationError',
]);

const PHASES = {
  deploy: {
    waiting: ['CREATE_REQUESTED', 'UPDATE_REQUESTED', 'DEPLOYMENT_IN_PROGRESS'],
    inProgress: 'DEPLOYMENT_IN_PROGRESS',
    complete: 'DEPLOYMENT_COMPLETE',
    failed: 'DEPLOYMENT_FAILED',
    requested: 'UPDATE_REQUESTED',
  },
  delete: {
    waiting: ['DELETE_REQUESTED', 'DELETE_IN_PROGRESS'],
    inProgress: 'DELETE_IN_PROGRESS',
    complete: 'DELETE_COMPLETE',
    failed: 'DELETE_FAILED',
    requested: 'DELETE_REQUESTED',
  },
} as const satisfies Record<
  DeploymentMessage['action'],
  {
    waiting: readonly DeploymentStatus[];
    inProgress: DeploymentStatus;
    complete: DeploymentStatus;
    failed: DeploymentStatus;
    requested: DeploymentStatus;
  }
>;

/** Runs one message; `finalAttempt` when SQS will not deliver it again. */
export async function runDeployment(
  deps: DeploymentDeps,
  message: DeploymentMessage,
  finalAttempt: boolean,
): Promise<DeploymentOutcome> {
  const phase = PHASES[message.action];
  const item = await deps.store.getDeployment(
    message.permissionSetId,
    message.assignmentId,
    message.awsAccountId,
  );
  if (
    !item ||
    item.RequestedAt > message.requestedAt ||
    !(phase.waiting as readonly string[]).includes(item.Status)
  ) {
    return { result: 'stale' };
  }
  const started = transition(item, phase.inProgress, deps.clock, {
    RequestedStatus:
      item.Status === phase.inProgress ? (item.RequestedStatus ?? phase.requested) : item.Status,
    StatusReason: undefined,
  });
  if (!(await deps.store.putDeployment(started, item.Version))) {
    throw new DeploymentRaceError(`${message.assignmentId}/${message.awsAccountId}`);
  }
  let applied: Applied;
  try {
    applied = await applyMessage(deps, message, item.AccountId);
  } catch (error) {
    const permanent = isPermanent(error);
    if (!permanent && !finalAttempt) {
      await deps.store.putDeployment(
        transition(started, started.RequestedStatus ?? phase.requested, deps.clock, {
          RequestedStatus: undefined,
        }),
        started.Version,
      );
      throw error;
    }
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    await finish(deps, started, phase.failed, reason);
    if (!permanent) throw error;
    return { result: 'failed', reason };
  }
  if (!(await finish(deps, started, phase.complete, applied.reason))) return { result: 'superseded' };
  return { result: 'complete', changes: applied.changes };
}

/** What a run did to the role, and why it did nothing when that needs saying. */
interface Applied {
  readonly changes: RoleChange[];
  readonly reason?: string;
}

async function applyMessage(
  deps: DeploymentDeps,
  message: DeploymentMessage,
  accountId: string,
): Promise<Applied> {
  const permissionSet = await deps.store.getPermissionSet(message.permissionSetId);
  if (!permissionSet) {
    throw new PermanentDeploymentError(`permission set ${message.permissionSetId} does not exist`);
  }
  if (message.action === 'delete') {
    const keeper = await assignmentStillUsingRole(deps.store, message);
    if (keeper) {
      return {
        changes: [],
        reason: `the role stays: assignment ${keeper} of the same permission set still needs it in this account`,
      };
    }
  } else {
    await assertDeployableAccount(deps.store, message, accountId);
    if (permissionSet.Status === 'DELETED') {
      throw new PermanentDeploymentError(`permission set ${message.permissionSetId} is deleted`);
    }
  }
  const role = desiredRole(permissionSet, deps.iam.partition, message.awsAccountId);
  const iam = await deps.iam.account(message.awsAccountId);
  if (message.action === 'delete') return { changes: await removeRole(iam, role, deps.retry) };
  return { changes: await convergeRole(iam, role, deps.retry) };
}

/**
 * Refuses a role in the management, security or logging account (security review M3): a role
 * there reaches every account, whatever account type lists the account. Removing one is allowed.
 */
async function assertDeployableAccount(
  store: DeploymentStore,
  message: DeploymentMessage,
  accountId: string,
): Promise<void> {
  const accountRole = await store.accountRole(accountId);
  if (isProtectedAccount(accountRole)) {
    throw new PermanentDeploymentError(
      `AWS account ${message.awsAccountId} is the organization's ${accountRole} account, which staxid depends on: no permission-set role is deployed there`,
    );
  }
}

/** Deployment statuses of an assignment that wants the role in its account (every one not being deleted). */
const WANTS_ROLE = new Set<DeploymentStatus>([
  'CREATE_REQUESTED',
  'UPDATE_REQUESTED',
  'DEPLOYMENT_IN_PROGRESS',
  'DEPLOYMENT_COMPLETE',
  'DEPLOYMENT_FAILED',
]);

/**
 * Another assignment of the same permission set that still wants its role in this account:
 * the role is named after the permission set, so two assignments on one account share it
 * (review L2). Messages for one account run one at a time (the FIFO group is the account), so
 * a deploy that another assignment asks for after this read runs after this removal.
 */
async function assignmentStillUsingRole(
  store: DeploymentStore,
  message: DeploymentMessage,
): Promise<string | undefined> {
  const deployments = await store.deploymentsInAccount(message.permissionSetId, message.awsAccountId);
  return deployments.find(
    (deployment) => deployment.AssignmentId !== message.assignmentId && WANTS_ROLE.has(deployment.Status),
  )?.AssignmentId;
}

function isPermanent(error: unknown): boolean {
  return (
    error instanceof PermanentDeploymentError ||
    error instanceof RoleNameTakenError ||
    (error instanceof Error && PERMANENT_IAM_ERRORS.has(error.name))
  );
}

/** Records the run's end, then aggregates the assignment; false when a newer request took the item over. */
async function finish(
  deps: DeploymentDeps,
  started: DeploymentItem,
  status: DeploymentStatus,
  reason: string | undefined,
): Promise<boolean> {
  const done = transition(started, status, deps.clock, { RequestedStatus: undefined, StatusReason: reason });
  if (!(await deps.store.putDeployment(done, started.Version))) return false;
  await aggregateAssignment(deps.store, started.PermissionSetId, started.AssignmentId, deps.clock);
  return true;
}

function transition(
  item: DeploymentItem,
  status: DeploymentStatus,
  clock: Clock,
  extra: Partial<Pick<DeploymentItem, 'RequestedStatus' | 'StatusReason'>>,
): DeploymentItem {
  return {
    ...item,
    ...extra,
    Status: status,
    ModifiedTS: clock.now().toISOString(),
    Version: item.Version + 1,
  };
}

/** Tries of the aggregate's read → write when other workers write the assignment at the same time. */
const AGGREGATE_TRIES = 8;

/**
 * Sets the assignment's Status from its deployments (aggregateStatus). The write is
 * conditional on the Version read before the deployments were, so the last writer has seen
 * every deployment write before its own.
 */
export async function aggregateAssignment(
  store: DeploymentStore,
  permissionSetId: string,
  assignmentId: string,
  clock: Clock,
): Promise<DeploymentStatus | undefined> {
  for (let attempt = 0; attempt < AGGREGATE_TRIES; attempt++) {
    const assignment = await store.getAssignment(permissionSetId, assignmentId);
    if (!assignment) return undefined;
    const status = aggregateStatus(assignment, await store.deploymentStatuses(permissionSetId, assignmentId));
    if (status === assignment.Status) return status;
    if (await store.setAssignmentStatus(assignment, status, clock.now().toISOString())) return status;
  }
  throw new Error(`assignment ${assignmentId} kept changing while its status was aggregated`);
}

const TERMINAL = new Set<DeploymentStatus>([
  'DEPLOYMENT_COMPLETE',
  'DEPLOYMENT_FAILED',
  'DELETE_COMPLETE',
  'DELETE_FAILED',
]);

/**
 * An assignment's Status from its deployments. While the assignment is being deleted
 * (`DELETE_*`), all of them count; otherwise only those being deployed (an account that left
 * the account type has its role removed without changing the assignment). Any deployment
 * still running → `*_IN_PROGRESS` (unless none has started); else any failed → `*_FAILED`;
 * else `*_COMPLETE`.
 */
export function aggregateStatus(
  assignment: Pick<AssignmentItem, 'Status'>,
  deployments: readonly DeploymentStatus[],
): DeploymentStatus {
  const phase = assignment.Status.startsWith('DELETE_') ? PHASES.delete : PHASES.deploy;
  const relevant =
    phase === PHASES.delete ? deployments : deployments.filter((status) => !status.startsWith('DELETE_'));
  const pending = relevant.filter((status) => !TERMINAL.has(status));
  if (pending.length > 0) {
    const started = pending.length < relevant.length || pending.some((status) => status === phase.inProgress);
    return started ? phase.inProgress : assignment.Status;
  }
  return relevant.some((status) => status === phase.failed) ? phase.failed : phase.complete;
}
