import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { IamAccountIamProvider } from '@/lambdas/deployments/account-iam';
import { DynamoDeploymentStore } from '@/lambdas/deployments/deployment-store';
import { DEPLOYMENT_MAX_RECEIVE_COUNT, parseDeploymentMessage } from '@/lambdas/deployments/messages';
import { type DeploymentDeps, runDeployment } from '@/lambdas/deployments/run-deployment';
import { DEPLOYER_ROLE_ARN_ENV } from '@/lambdas/revocation/messages';
import { dbFromEnv, systemClock } from '@/lambdas/shared/db';
import { once, requiredEnv } from '@/lambdas/shared/deps';
import { fifoBatchWorker } from '@/lambdas/shared/fifo-worker';
import { logger as defaultLogger, type Logger } from '@/lambdas/shared/logger';

/** What the worker needs, handed in: tests pass mocked IAM/STS behind the provider and a frozen clock. */
export interface WorkerDeps extends DeploymentDeps {
  readonly logger: Logger;
}

/**
 * The SQS FIFO worker of permission-set deployments (run-deployment.ts does one message;
 * lambdas/shared/fifo-worker.ts keeps each account's messages in order). The last delivery
 * records `*_FAILED` before the message moves to the DLQ.
 */
export function createWorker(deps: WorkerDeps): (event: SQSEvent) => Promise<SQSBatchResponse> {
  return fifoBatchWorker(
    async (record) => {
      const message = parseDeploymentMessage(record.body);
      const finalAttempt = Number(record.attributes.ApproximateReceiveCount) >= DEPLOYMENT_MAX_RECEIVE_COUNT;
      const outcome = await runDeployment(deps, message, finalAttempt);
      deps.logger.info('permission set deployment message handled', {
        ...message,
        result: outcome.result,
        ...(outcome.result === 'complete' && { changes: outcome.changes.map((change) => change.kind) }),
        ...(outcome.result === 'failed' && { reason: outcome.reason }),
      });
    },
    {
      logger: deps.logger,
      failureMessage: 'permission set deployment failed; SQS will redeliver it, then move it to the DLQ',
    },
  );
}

const worker = once(() =>
  createWorker({
    store: new DynamoDeploymentStore(dbFromEnv()),
    iam: new IamAccountIamProvider({ deployerRoleArn: requiredEnv(process.env, DEPLOYER_ROLE_ARN_ENV) }),
    clock: systemClock,
    logger: defaultLogger,
  }),
);

/** The worker Lambda's handler. */
export const handler = (event: SQSEvent): Promise<SQSBatchResponse> => worker()(event);
