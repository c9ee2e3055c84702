import { createHash } from 'node:crypto';
import {
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { DeploymentMessage, DeploymentQueue } from '@/lambdas/deployments/messages';
import { type RetryOptions, withRetries } from '@/lambdas/revocation/retry';

/** SendMessageBatch takes at most 10 entries. */
const SQS_BATCH_SIZE = 10;

/**
 * The deployment FIFO queue in AWS. Messages are grouped by AWS account (one worker changes an
 * account's roles at a time) and deduplicated by their content, so a retried enqueue of the
 * same request is delivered once.
 */
export class SqsDeploymentQueue implements DeploymentQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
    private readonly retry?: RetryOptions,
  ) {}

  async enqueue(messages: readonly DeploymentMessage[]): Promise<void> {
    const entries = messages.map(
      (message, index): SendMessageBatchRequestEntry => ({
        Id: String(index),
        MessageBody: JSON.stringify(message),
        MessageGroupId: message.awsAccountId,
        MessageDeduplicationId: createHash('sha256').update(JSON.stringify(message)).digest('hex'),
      }),
    );
    for (let start = 0; start < entries.length; start += SQS_BATCH_SIZE) {
      await this.sendBatch(entries.slice(start, start + SQS_BATCH_SIZE));
    }
  }

  /** Entries SQS reports as failed are sent again (with backoff), up to the retry bound. */
  private async sendBatch(entries: readonly SendMessageBatchRequestEntry[]): Promise<void> {
    let pending = entries;
    await withRetries(async () => {
      const response = await this.sqs.send(
        new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: [...pending] }),
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
    }, this.retry);
  }
}
