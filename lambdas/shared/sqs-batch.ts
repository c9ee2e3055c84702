import {
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { type RetryOptions, withRetries } from '@/lambdas/shared/retry';

/** SendMessageBatch takes at most 10 entries. */
export const SQS_BATCH_SIZE = 10;

/**
 * Sends `entries` in batches of ten, in order. Entries SQS reports as failed are sent again
 * (with backoff), up to the retry bound; a sender fault (an entry SQS will never accept)
 * fails at once.
 */
export async function sendInBatches(
  sqs: SQSClient,
  queueUrl: string,
  entries: readonly SendMessageBatchRequestEntry[],
  retry?: RetryOptions,
): Promise<void> {
  for (let start = 0; start < entries.length; start += SQS_BATCH_SIZE) {
    let pending = entries.slice(start, start + SQS_BATCH_SIZE);
    await withRetries(async () => {
      const response = await sqs.send(
        new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: [...pending] }),
      );
      const failed = new Set((response.Failed ?? []).map((failure) => failure.Id));
      pending = pending.filter((entry) => failed.has(entry.Id));
      if (pending.length > 0) {
        const first = response.Failed?.[0];
        const error = new Error(
          `SendMessageBatch failed ${pending.length} entries: ${first?.Code} ${first?.Message ?? ''}`,
        );
        // SenderFault entries will never succeed; others (throttling, SQS-side) are worth another try.
        error.name = first?.SenderFault ? 'SendMessageBatchRejected' : 'ThrottlingException';
        throw error;
      }
    }, retry);
  }
}
