import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { fanOutAccountMoves } from '@/lambdas/deployments/account-fan-out';
import { fanOutDepsFromEnv } from '@/lambdas/deployments/dependencies';

/** The table's stream (account items) → deployments for the account types an account joined or left. */
export const handler = (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> =>
  fanOutAccountMoves(fanOutDepsFromEnv(), event);
