import type { DeploymentStatus } from '@/lambdas/permission-sets/items';
import { ServiceUnavailableError } from '@/lambdas/shared/errors';

/**
 * How long a deployment waits in `*_REQUESTED` before the hourly reconcile sends its message
 * again. Longer than SQS FIFO's 5-minute deduplication window, so the re-sent message is not
 * dropped as a duplicate of one that never arrived; long enough not to race a busy queue.
 */
export const REQUEUE_AFTER_MINUTES = 15;

/** An assignment whose deployment items were written but whose messages never reached the queue. */
export interface UnqueuedAssignment {
  readonly permissionSetId: string;
  readonly assignmentId: string;
  /** The `*_REQUESTED` status its deployments were left in. */
  readonly status: DeploymentStatus;
}

/**
 * The change was committed, but its deployment messages could not be enqueued (the queue is
 * down or throttling). Not the caller's fault and not a 500: the error mapper answers 503
 * with this message, which says what was saved, where the deployments wait, and how to send
 * them again. The reconcile re-sends deployments left waiting (requeueStalledDeployments), so
 * an outage heals without a human too.
 */
export class DeploymentsNotQueuedError extends ServiceUnavailableError {
  override readonly code = 'DeploymentsNotQueuedError';

  constructor(
    readonly unqueued: readonly UnqueuedAssignment[],
    cause?: unknown,
  ) {
    super(notQueuedMessage(unqueued), cause);
  }

  /** One error for several assignments (UpdatePermissionSet redeploys each of its assignments). */
  static merge(errors: readonly DeploymentsNotQueuedError[]): DeploymentsNotQueuedError {
    return new DeploymentsNotQueuedError(errors.flatMap((error) => error.unqueued));
  }
}

function notQueuedMessage(unqueued: readonly UnqueuedAssignment[]): string {
  const deploying = unqueued.filter((entry) => entry.status !== 'DELETE_REQUESTED');
  const deleting = unqueued.filter((entry) => entry.status === 'DELETE_REQUESTED');
  const parts = ['The change was saved, but its deployments could not be queued.'];
  for (const entry of deploying) {
    parts.push(
      `The deployments of assignment ${entry.assignmentId} stay ${entry.status} (see ListPermissionSetAssignments): retry with RedeployPermissionSetAssignment (PUT /20210321/permission-sets/${entry.permissionSetId}/assignments/${entry.assignmentId}).`,
    );
  }
  for (const entry of deleting) {
    parts.push(
      `The deployments of assignment ${entry.assignmentId} stay DELETE_REQUESTED (see ListPermissionSetAssignments); a deleted assignment cannot be redeployed.`,
    );
  }
  parts.push(
    `The hourly reconcile also re-sends deployments left waiting for more than ${REQUEUE_AFTER_MINUTES} minutes.`,
  );
  return parts.join(' ');
}
