import { SQSClient } from '@aws-sdk/client-sqs';
import { partitionFromEnv } from '@/lambdas/aws/my-roles';
import { DEPLOYMENT_QUEUE_URL_ENV, type DeploymentQueue } from '@/lambdas/deployments/messages';
import { SqsDeploymentQueue } from '@/lambdas/deployments/sqs-deployment-queue';
import type { AuditSink } from '@/lambdas/shared/audit';
import { outboxAuditSinkFromEnv } from '@/lambdas/shared/audit-outbox';
import { type Clock, type Db, dbFromEnv, systemClock } from '@/lambdas/shared/db';
import { once, requiredEnv } from '@/lambdas/shared/deps';
import { logger as defaultLogger, type Logger } from '@/lambdas/shared/logger';

/**
 * What the permission-sets domain needs, handed in: tests pass a test table, a clock, a
 * MemoryAuditSink and an in-memory DeploymentQueue.
 */
export interface PermissionSetReadDeps {
  readonly db: Db;
  readonly clock: Clock;
  /** The partition of member accounts' role ARNs. */
  readonly partition: string;
}

/** What a change needs besides: its audit sink, the deployment queue and a logger. */
export interface PermissionSetDeps extends PermissionSetReadDeps {
  readonly audit: AuditSink;
  readonly queue: DeploymentQueue;
  readonly logger: Logger;
}

export function permissionSetReadDepsFromEnv(env: NodeJS.ProcessEnv = process.env): PermissionSetReadDeps {
  return { db: dbFromEnv(env), clock: systemClock, partition: partitionFromEnv(env) };
}

export function permissionSetDepsFromEnv(env: NodeJS.ProcessEnv = process.env): PermissionSetDeps {
  return {
    ...permissionSetReadDepsFromEnv(env),
    audit: outboxAuditSinkFromEnv(env),
    queue: deploymentQueueFromEnv(env),
    logger: defaultLogger,
  };
}

/**
 * The engine's FIFO queue (`STAXID_DEPLOYMENT_QUEUE_URL`), built on the first enqueue: the
 * operations that never enqueue (CreatePermissionSet, DeletePermissionSet) need neither the
 * variable nor the grant.
 */
function deploymentQueueFromEnv(env: NodeJS.ProcessEnv): DeploymentQueue {
  const queue = once(
    () => new SqsDeploymentQueue(new SQSClient({}), requiredEnv(env, DEPLOYMENT_QUEUE_URL_ENV)),
  );
  return { enqueue: (messages) => queue().enqueue(messages) };
}
