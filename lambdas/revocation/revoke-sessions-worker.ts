import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { DEPLOYER_ROLE_ARN_ENV, parseRevocationMessage } from '@/lambdas/revocation/messages';
import { IamRevocationTarget, type RevocationTarget } from '@/lambdas/revocation/revocation-target';
import { applyRevocation } from '@/lambdas/revocation/revoke-sessions';
import { type Clock, systemClock } from '@/lambdas/shared/db';
import { once, requiredEnv } from '@/lambdas/shared/deps';
import { fifoBatchWorker } from '@/lambdas/shared/fifo-worker';
import { logger as defaultLogger, type Logger } from '@/lambdas/shared/logger';

/** What the worker needs, handed in: tests pass a target over mocked STS/IAM and a frozen clock. */
export interface WorkerDeps {
  readonly target: RevocationTarget;
  readonly clock: Clock;
  readonly logger: Logger;
}

/**
 * The SQS FIFO worker: applies each revocation message to its member account, in order per
 * account (lambdas/shared/fifo-worker.ts), so that a restore never overtakes the revoke before it.
 */
export function createWorker(deps: WorkerDeps): (event: SQSEvent) => Promise<SQSBatchResponse> {
  return fifoBatchWorker(
    async (record) => {
      const message = parseRevocationMessage(record.body);
      const roles = await applyRevocation(deps.target, message, deps.clock.now());
      deps.logger.info('session revocation applied', { ...message, roles });
      const everySession = Object.keys(roles).filter((role) => roles[role] === 'denied-every-session');
      if (everySession.length > 0) {
        deps.logger.warn(
          'too many users revoked within 12 hours to name: these roles now deny every session issued before the cut-off, so everyone signed in to them signs in again',
          { awsAccountId: message.awsAccountId, roles: everySession },
        );
      }
    },
    {
      logger: deps.logger,
      failureMessage: 'session revocation failed; SQS will redeliver it, then move it to the DLQ',
    },
  );
}

const worker = once(() =>
  createWorker({
    target: new IamRevocationTarget({ deployerRoleArn: requiredEnv(process.env, DEPLOYER_ROLE_ARN_ENV) }),
    clock: systemClock,
    logger: defaultLogger,
  }),
);

export const handler = (event: SQSEvent): Promise<SQSBatchResponse> => worker()(event);
