import { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { fanOut } from '@/lambdas/revocation/fan-out';
import { REVOCATION_QUEUE_URL_ENV } from '@/lambdas/revocation/messages';
import { dbFromEnv, systemClock } from '@/lambdas/shared/db';
import { once, requiredEnv } from '@/lambdas/shared/deps';
import { logger } from '@/lambdas/shared/logger';

const deps = once(() => ({
  db: dbFromEnv(),
  sqs: new SQSClient({ maxAttempts: 1 }),
  queueUrl: requiredEnv(process.env, REVOCATION_QUEUE_URL_ENV),
  clock: systemClock,
  logger,
}));

/** The identity table's stream → one revocation message per member account (see fan-out.ts). */
export const handler = (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => fanOut(deps(), event);
