import { createHash } from 'node:crypto';
import type { SendMessageBatchRequestEntry, SQSClient } from '@aws-sdk/client-sqs';
import type { AttributeValue, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { listAccounts, type StoredAccount } from '@/lambdas/accounts/account-items';
import type { RevocationAction, RevocationMessage } from '@/lambdas/revocation/messages';
import type { Clock, Db } from '@/lambdas/shared/db';
import { ENTITY } from '@/lambdas/shared/keys';
import { errorFields, type Logger } from '@/lambdas/shared/logger';
import type { RetryOptions } from '@/lambdas/shared/retry';
import { sendInBatches } from '@/lambdas/shared/sqs-batch';

/**
 * The fan-out from the identity table's stream: when a user is disabled or deleted, one
 * `revoke` message per ACTIVE member account; when a disabled user is re-activated, one
 * `restore` message per account. The event source mapping's filter (STREAM_FILTER_PATTERNS)
 * lets through only user items whose status is or was DISABLED/DELETED; this code decides
 * exactly, so an edit of a disabled user's name sends nothing.
 */

/** Event source mapping filter patterns (any one matches) for the identity table's stream. */
export const STREAM_FILTER_PATTERNS: readonly Record<string, unknown>[] = [
  {
    eventName: ['INSERT', 'MODIFY'],
    dynamodb: {
      Keys: { PK: { S: [{ prefix: `${ENTITY.user}#` }] }, SK: { S: [ENTITY.user] } },
      NewImage: { Status: { S: ['DISABLED', 'DELETED'] } },
    },
  },
  {
    eventName: ['MODIFY'],
    dynamodb: {
      Keys: { PK: { S: [{ prefix: `${ENTITY.user}#` }] }, SK: { S: [ENTITY.user] } },
      OldImage: { Status: { S: ['DISABLED'] } },
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

/** A user's status change that calls for revocation messages. */
export interface StatusChange {
  readonly userId: string;
  readonly action: RevocationAction;
  /** ISO 8601: the stream record's approximate time. */
  readonly at: string;
  readonly sequenceNumber: string;
}

const REVOKED_STATUSES = new Set(['DISABLED', 'DELETED']);

/**
 * The change a stream record carries, if it is one: to DISABLED or DELETED (from another
 * status) → revoke; from DISABLED to anything but DELETED → restore.
 */
export function statusChange(record: DynamoDBRecord, now: Date): StatusChange | undefined {
  const stream = record.dynamodb;
  if (
    !stream?.Keys ||
    stream.Keys.SK?.S !== ENTITY.user ||
    !stream.Keys.PK?.S?.startsWith(`${ENTITY.user}#`)
  ) {
    return undefined;
  }
  const before = stringOf(stream.OldImage?.Status);
  const after = stringOf(stream.NewImage?.Status);
  const action = actionFor(before, after);
  if (!action) return undefined;
  const seconds = stream.ApproximateCreationDateTime;
  return {
    userId: stringOf(stream.NewImage?.Id) ?? stream.Keys.PK.S.slice(`${ENTITY.user}#`.length),
    action,
    at: (seconds === undefined ? now : new Date(seconds * 1000)).toISOString(),
    sequenceNumber: stream.SequenceNumber ?? '',
  };
}

function actionFor(before: string | undefined, after: string | undefined): RevocationAction | undefined {
  if (after === undefined || before === after) return undefined;
  if (REVOKED_STATUSES.has(after) && before !== 'DELETED') return 'revoke';
  if (before === 'DISABLED' && !REVOKED_STATUSES.has(after)) return 'restore';
  return undefined;
}

function stringOf(value: AttributeValue | undefined): string | undefined {
  return value?.S;
}

/** The accounts whose staxid roles carry revocations: ACTIVE members (StackSets never deploy to the management account). */
export function revocationAccounts(accounts: readonly StoredAccount[]): string[] {
  return accounts
    .filter(
      (account) =>
        account.status === 'ACTIVE' && account.accountRole !== 'MANAGEMENT' && account.awsAccountId,
    )
    .map((account) => account.awsAccountId);
}

/**
 * Sends the messages of every change in the stream batch, in stream order. On a failure it
 * stops and reports the failed record: Lambda retries from there, and messages already
 * sent for it are dropped by the queue's deduplication (same id within 5 minutes).
 */
export async function fanOut(deps: FanOutDeps, event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  let accounts: string[] | undefined;
  for (const record of event.Records) {
    const change = statusChange(record, deps.clock.now());
    if (!change) continue;
    try {
      accounts ??= revocationAccounts(await listAccounts(deps.db));
      await sendMessages(deps, change, accounts);
      deps.logger.info('session revocation fanned out', { ...change, accounts: accounts.length });
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
  change: StatusChange,
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

/** The FIFO deduplication id: the same change to the same account never enqueues twice. */
function deduplicationId(awsAccountId: string, change: StatusChange): string {
  return createHash('sha256')
    .update(`${awsAccountId}\u0000${change.userId}\u0000${change.action}\u0000${change.sequenceNumber}`)
    .digest('hex');
}
