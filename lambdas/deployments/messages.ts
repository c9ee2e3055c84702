import { z } from 'zod';

/**
 * What the permission-set API hands the deployment engine (issue 6): one message per
 * (assignment, AWS account), on an SQS FIFO queue grouped by AWS account so that one
 * account's roles are changed by one worker at a time. The API writes the deployment
 * items (see the key layout in lambdas/shared/keys.ts) with a `*_REQUESTED` status before
 * it enqueues; the worker moves them on.
 */
export interface DeploymentMessage {
  readonly permissionSetId: string;
  readonly assignmentId: string;
  /** The 12-digit AWS account the role is deployed to or removed from. */
  readonly awsAccountId: string;
  /** `deploy` creates or updates the role to match the permission set; `delete` removes it. */
  readonly action: 'deploy' | 'delete';
  /** ISO 8601: when the API asked; later messages for the same deployment win. */
  readonly requestedAt: string;
}

/** Where deployment messages go: SQS in AWS, the local deployer under `npm start`, memory in tests. */
export interface DeploymentQueue {
  enqueue(messages: readonly DeploymentMessage[]): Promise<void>;
}

/** Environment variable with the URL of the deployment FIFO queue (API functions, fan-out, reconcile). */
export const DEPLOYMENT_QUEUE_URL_ENV = 'STAXID_DEPLOYMENT_QUEUE_URL';

/** Deliveries of a deployment message before it moves to the dead-letter queue; the last one records `*_FAILED`. */
export const DEPLOYMENT_MAX_RECEIVE_COUNT = 5;

/** The worker function's timeout; the queue's visibility timeout is six times it (lib/identity/fifo-work-queue.ts). */
export const DEPLOYMENT_WORKER_TIMEOUT_SECONDS = 120;

/**
 * How long a deployment may sit `*_IN_PROGRESS` untouched before the reconcile treats its run
 * as abandoned and sends its message again. A live run ends within the worker's timeout, and a
 * delivery SQS still owes arrives within one visibility timeout and starts by touching the item:
 * 2 + 12 minutes. Only a worker killed (timeout, out of memory) on the message's last delivery
 * leaves the item past that, its message gone to the dead-letter queue.
 */
export const ABANDONED_AFTER_MINUTES = 30;

const deploymentMessageSchema = z
  .object({
    permissionSetId: z.string().min(1).max(64),
    assignmentId: z.string().min(1).max(64),
    awsAccountId: z.string().regex(/^\d{12}$/),
    action: z.enum(['deploy', 'delete']),
    requestedAt: z.string().datetime(),
  })
  .strict();

/** The message in an SQS body, or a DeploymentMessageError naming what is wrong. */
export function parseDeploymentMessage(body: string): DeploymentMessage {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new DeploymentMessageError('the body is not JSON');
  }
  const result = deploymentMessageSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new DeploymentMessageError(`${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
  }
  return result.data;
}

/** A message that can never be applied: retrying will not help, it belongs in the DLQ. */
export class DeploymentMessageError extends Error {
  readonly code = 'DeploymentMessageError';

  constructor(message: string) {
    super(`invalid deployment message: ${message}`);
    this.name = 'DeploymentMessageError';
  }
}
