import type { SQSBatchItemFailure, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { DEPLOYER_ROLE_ARN_ENV, parseRevocationMessage } from '@/lambdas/revocation/messages';
import { IamRevocationTarget, type RevocationTarget } from '@/lambdas/revocation/revocation-target';
import { applyRevocation } from '@/lambdas/revocation/revoke-sessions';
import { type Clock, systemClock } from '@/lambdas/shared/db';
import { logger as defaultLogger, errorFields, type Logger } from '@/lambdas/shared/logger';
import { once, requiredEnv } from '@/lambdas/tasks/deps';

/** What the worker needs, handed in: tests pass a target over mocked STS/IAM and a frozen clock. */
export interface WorkerDeps {
  readonly target: RevocationTarget;
  readonly clock: Clock;
  readonly logger: Logger;
}

/**
 * The SQS FIFO worker: applies each revocation message to its member account. Messages of
 * one account share a message group, so they arrive in order; once one fails, the later
 * messages of its group in the batch are failed unprocessed, so that a restore never
 * overtakes the revoke before it. Failed messages are redelivered (reportBatchItemFailures)
 * and after the queue's maxReceiveCount land in the DLQ, whose alarm calls a human.
 */
export function createWorker(deps: WorkerDeps): (event: SQSEvent) => Promise<SQSBatchResponse> {
  return async (event) => {
    const failures: SQSBatchItemFailure[] = [];
    const failedGroups = new Set<string>();
    for (const record of event.Records) {
      const group = record.attributes.MessageGroupId ?? '';
      if (failedGroups.has(group)) {
        failures.push({ itemIdentifier: record.messageId });
        continue;
      }
      try {
        const message = parseRevocationMessage(record.body);
        const roles = await applyRevocation(deps.target, message, deps.clock.now());
        deps.logger.info('session revocation applied', { ...message, roles });
      } catch (error) {
        failedGroups.add(group);
        failures.push({ itemIdentifier: record.messageId });
        deps.logger.error('session revocation failed; SQS will redeliver it, then move it to the DLQ', {
          messageId: record.messageId,
          receiveCount: record.attributes.ApproximateReceiveCount,
          ...errorFields(error),
          ...(error instanceof Error && error.cause !== undefined && { cause: errorFields(error.cause) }),
        });
      }
    }
    return { batchItemFailures: failures };
  };
}

const worker = once(() =>
  createWorker({
    target: new IamRevocationTarget({ deployerRoleArn: requiredEnv(process.env, DEPLOYER_ROLE_ARN_ENV) }),
    clock: systemClock,
    logger: defaultLogger,
  }),
);

export const handler = (event: SQSEvent): Promise<SQSBatchResponse> => worker()(event);
