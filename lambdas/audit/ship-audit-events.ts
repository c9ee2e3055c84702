import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { type OutboxStreamRecord, shipOutboxRecords } from '@/lambdas/audit/shipper';
import type { AuditSink } from '@/lambdas/shared/audit';
import { auditSinkFromEnv } from '@/lambdas/shared/audit-bucket';
import { logger as defaultLogger, type Logger } from '@/lambdas/shared/logger';

/**
 * The audit outbox's consumer: the identity table's stream (filtered to new outbox items)
 * → the Audit bucket through the audit writer role. A failed delivery reports the batch
 * from that record on for retry; after the retries the batch's description goes to the
 * dead-letter queue, whose alarm tells the operators (ADR 0010).
 */
export function shipAuditEventsHandler(
  sink: () => AuditSink = () => auditSinkFromEnv(),
  logger: Logger = defaultLogger,
) {
  return async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
    const result = await shipOutboxRecords(event.Records as OutboxStreamRecord[], sink(), logger);
    return {
      batchItemFailures: result.retryFrom === undefined ? [] : [{ itemIdentifier: result.retryFrom }],
    };
  };
}

export const handler = shipAuditEventsHandler();
