import { createHash } from 'node:crypto';
import type { SendMessageBatchRequestEntry, SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { listAccounts, type StoredAccount } from '@/lambdas/accounts/account-items';
import { changeAccounts, type RevocationChange, revocationChange } from '@/lambdas/revocation/changes';
import type { RevocationMessage } from '@/lambdas/revocation/messages';
import type { Clock, Db } from '@/lambdas/shared/db';
import { ENTITY } from '@/lambdas/shared/keys';
import { errorFields, type Logger } from '@/lambdas/shared/logger';
import type { RetryOptions } from '@/lambdas/shared/retry';
import { sendInBatches } from '@/lambdas/shared/sqs-batch';
import { SUPPORT_GRANT_ENTITY } from '@/lambdas/support/grant-items';

/**
 * The fan-out from the identity table's stream: when a user is disabled or deleted, one
 * `revoke` message per ACTIVE member account; when a disabled user is re-activated, one
 * `restore` message per account; when an ACTIVE support grant is revoked, one `revoke` for
 * its engineer per ACTIVE member account in the grant's scope. The event source mapping's
 * filter (STREAM_FILTER_PATTERNS) lets through only the records that may be such changes;
 * revocationChange (changes.ts) decides exactly, so an edit of a disabled user's name sends
 * nothing.
 */

const USER_KEYS = { PK: { S: [{ prefix: `${ENTITY.user}#` }] }, SK: { S: [ENTITY.user] } };

/** Event source mapping filter patterns (any one matches) for the identity table's stream. */
export const STREAM_FILTER_PATTERNS: readonly Record<string, unknown>[] = [
  {
    eventName: ['INSERT', 'MODIFY'],
    dynamodb: { Keys: USER_KEYS, NewImage: { Status: { S: ['DISABLED', 'DELETED'] } } },
  },
  {
    eventName: ['MODIFY'],
    dynamodb: { Keys: USER_KEYS, OldImage: { Status: { S: ['DISABLED'] } } },
  },
  {
    eventName: ['MODIFY'],
    dynamodb: {
      Keys: { PK: { S: [{ prefix: `${SUPPORT_GRANT_ENTITY}#` }] }, SK: { S: [SUPPORT_GRANT_ENTITY] } },
      OldImage: { Status: { S: ['ACTIVE'] } },
      NewImage: { Status: { S: ['REVOKED'] } },
    },
  },
];

export interface FanOutDeps {
  readonly db: Db;
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly retry?: RetryOptions;
}

/**
 * Sends the messages of every change in the stream batch, in stream order. On a failure it
 * stops and reports the failed record: Lambda retries from there, and messages already
 * sent for it are dropped by the queue's deduplication (same id within 5 minutes).
 */
export async function fanOut(deps: FanOutDeps, event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  let accounts: StoredAccount[] | undefined;
  for (const record of event.Records) {
    const change = revocationChange(record, deps.clock.now());
    if (!change) continue;
    try {
      accounts ??= await listAccounts(deps.db);
      const targets = changeAccounts(change, accounts);
      await sendMessages(deps, change, targets);
      deps.logger.info('session revocation fanned out', { ...change, accounts: targets.length });
    } catch (error) {
      deps.logger.error('session revocation fan-out failed; the stream will retry it', {
        ...change,
        ...errorFields(error),
      });
      return { batchItemFailures: [{ itemIdentifier: change.sequenceNumber }] };
    }
  }
  return { batchItemFailures: [] };
}

async function sendMessages(
  deps: FanOutDeps,
  change: RevocationChange,
  accounts: readonly string[],
): Promise<void> {
  const entries = accounts.map((awsAccountId, index): SendMessageBatchRequestEntry => {
    const message: RevocationMessage = {
      awsAccountId,
      userId: change.userId,
      action: change.action,
      at: change.at,
    };
    return {
      Id: String(index),
      MessageBody: JSON.stringify(message),
      MessageGroupId: awsAccountId,
      MessageDeduplicationId: deduplicationId(awsAccountId, change),
    };
  });
  await sendInBatches(deps.sqs, deps.queueUrl, entries, deps.retry);
}

/**
 * The FIFO deduplication id: the same change to the same account never enqueues twice, and
 * a grant's revocation never shares one with a user's status change (its id is part of it).
 */
function deduplicationId(awsAccountId: string, change: RevocationChange): string {
  const parts = [awsAccountId, change.userId, change.action, change.sequenceNumber];
  if (change.grant) parts.push(change.grant.id);
  return createHash('sha256').update(parts.join('\u0000')).digest('hex');
}
