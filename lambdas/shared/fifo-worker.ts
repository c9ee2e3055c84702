import type { SQSBatchItemFailure, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { errorFields, type Logger } from '@/lambdas/shared/logger';

export interface FifoWorkerOptions {
  readonly logger: Logger;
  /** Logged (as an error) with the message id and the cause when a message fails. */
  readonly failureMessage: string;
}

/**
 * The SQS FIFO batch worker of session revocation and permission-set deployment: messages
 * of one message group (one AWS account) arrive in order; once one fails, the later
 * messages of its group in the batch are failed unprocessed, so that none overtakes it.
 * Failed messages are redelivered (reportBatchItemFailures) and, after the queue's
 * maxReceiveCount, land in its dead-letter queue, whose alarm calls a human.
 */
export function fifoBatchWorker(
  handle: (record: SQSRecord) => Promise<void>,
  options: FifoWorkerOptions,
): (event: SQSEvent) => Promise<SQSBatchResponse> {
  return async (event) => {
    const failures: SQSBatchItemFailure[] = [];
    const failedGroups = new Set<string>();
    for (const record of event.Records) {
      const group = record.attributes.MessageGroupId ?? '';
      if (failedGroups.has(group)) {
        failures.push({ itemIdentifier: record.messageId });
        continue;
      }
      try {
        await handle(record);
      } catch (error) {
        failedGroups.add(group);
        failures.push({ itemIdentifier: record.messageId });
        options.logger.error(options.failureMessage, {
          messageId: record.messageId,
          receiveCount: record.attributes.ApproximateReceiveCount,
          ...errorFields(error),
          ...(error instanceof Error && error.cause !== undefined && { cause: errorFields(error.cause) }),
        });
      }
    }
    return { batchItemFailures: failures };
  };
}
