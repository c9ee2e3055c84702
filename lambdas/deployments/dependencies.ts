import { SQSClient } from '@aws-sdk/client-sqs';
import type { AccountFanOutDeps } from '@/lambdas/deployments/account-fan-out';
import { IamAccountIamProvider } from '@/lambdas/deployments/account-iam';
import { DynamoDeploymentStore } from '@/lambdas/deployments/deployment-store';
import { DEPLOYMENT_QUEUE_URL_ENV } from '@/lambdas/deployments/messages';
import type { ReconcileDeps } from '@/lambdas/deployments/reconcile';
import { SqsDeploymentQueue } from '@/lambdas/deployments/sqs-deployment-queue';
import { DEPLOYER_ROLE_ARN_ENV } from '@/lambdas/revocation/messages';
import { outboxAuditSinkFromEnv } from '@/lambdas/shared/audit-outbox';
import { dbFromEnv, systemClock } from '@/lambdas/shared/db';
import { once, requiredEnv } from '@/lambdas/shared/deps';
import { logger } from '@/lambdas/shared/logger';

/** The stream fan-out's dependencies, from the environment the PermissionSetDeployment construct sets. */
export const fanOutDepsFromEnv = once((): AccountFanOutDeps => {
  const db = dbFromEnv();
  return {
    db,
    store: new DynamoDeploymentStore(db),
    queue: new SqsDeploymentQueue(
      new SQSClient({ maxAttempts: 1 }),
      requiredEnv(process.env, DEPLOYMENT_QUEUE_URL_ENV),
    ),
    clock: systemClock,
    logger,
  };
});

/** The reconcile's dependencies: the fan-out's, plus member accounts' IAM and the audit outbox. */
export const reconcileDepsFromEnv = once(
  (): ReconcileDeps => ({
    ...fanOutDepsFromEnv(),
    iam: new IamAccountIamProvider({ deployerRoleArn: requiredEnv(process.env, DEPLOYER_ROLE_ARN_ENV) }),
    audit: outboxAuditSinkFromEnv(),
  }),
);
