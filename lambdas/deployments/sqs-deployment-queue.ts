import { createHash } from 'node:crypto';
import type { SendMessageBatchRequestEntry, SQSClient } from '@aws-sdk/client-sqs';
import type { DeploymentMessage, DeploymentQueue } from '@/lambdas/deployments/messages';
import type { RetryOptions } from '@/lambdas/shared/retry';
import { sendInBatches } from '@/lambdas/shared/sqs-batch';

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
    await sendInBatches(this.sqs, this.queueUrl, entries, this.retry);
  }
}
