import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { type AuditEvent, AuditEventExistsError, type AuditSink } from '@/lambdas/shared/audit';
import { AUDIT_OUTBOX_EVENT_ATTRIBUTE, AUDIT_OUTBOX_SK } from '@/lambdas/shared/audit-outbox';
import { errorFields, type Logger } from '@/lambdas/shared/logger';

/**
 * Delivers the audit outbox (lambdas/shared/audit-outbox.ts) to the audit trail: every
 * new outbox item in the table's stream becomes one object in the Audit bucket (in AWS)
 * or one file under `$STAXID_HOME/audit/` (local/stream-reader.ts).
 *
 * Delivery is at least once and idempotent: an event already delivered (the bucket's
 * `If-None-Match` answers 412, the file exists) counts as delivered, so a retried batch
 * never fails on what it delivered the first time.
 */

/** The parts of a DynamoDB stream record the shipper reads (Lambda's event and GetRecords agree on them). */
export interface OutboxStreamRecord {
  readonly eventName?: string;
  readonly dynamodb?: {
    readonly NewImage?: Record<string, unknown>;
    readonly SequenceNumber?: string;
  };
}

export interface ShipResult {
  readonly delivered: number;
  /** The sequence number of the first record to retry from, when a delivery failed. */
  readonly retryFrom?: string;
}

/** At most this many deliveries run at once. */
const CONCURRENCY = 16;

/**
 * Ships the outbox events among `records` (other items' changes are ignored). A record
 * that can never be delivered (not an audit event) is logged and skipped, so that it
 * cannot block the stream; the item stays in the table for its retention.
 */
export async function shipOutboxRecords(
  records: readonly OutboxStreamRecord[],
  sink: AuditSink,
  logger: Logger,
): Promise<ShipResult> {
  const failed: string[] = [];
  let delivered = 0;
  const pending = records.filter(isOutboxInsert);
  for (let start = 0; start < pending.length; start += CONCURRENCY) {
    await Promise.all(
      pending.slice(start, start + CONCURRENCY).map(async (record) => {
        const event = eventOf(record);
        if (!event) {
          logger.error('audit outbox record without a valid event: skipped', {
            sequenceNumber: record.dynamodb?.SequenceNumber,
          });
          return;
        }
        try {
          await sink.write(event);
          delivered++;
        } catch (error) {
          if (error instanceof AuditEventExistsError) {
            delivered++;
            return;
          }
          logger.error('audit event delivery failed', { eventId: event.eventId, ...errorFields(error) });
          failed.push(record.dynamodb?.SequenceNumber ?? '');
        }
      }),
    );
  }
  const retryFrom = failed.sort(bySequenceNumber)[0];
  return { delivered, ...(retryFrom !== undefined && { retryFrom }) };
}

function isOutboxInsert(record: OutboxStreamRecord): boolean {
  const sortKey = record.dynamodb?.NewImage?.SK as { S?: string } | undefined;
  return record.eventName === 'INSERT' && sortKey?.S === AUDIT_OUTBOX_SK;
}

/** Sequence numbers are decimal strings of varying length: compare them as numbers. */
function bySequenceNumber(a: string, b: string): number {
  return a.length - b.length || a.localeCompare(b);
}

function eventOf(record: OutboxStreamRecord): AuditEvent | undefined {
  try {
    const image = unmarshall(record.dynamodb?.NewImage as Record<string, AttributeValue>);
    const event = image[AUDIT_OUTBOX_EVENT_ATTRIBUTE] as Partial<AuditEvent> | undefined;
    const valid =
      typeof event?.eventId === 'string' &&
      typeof event.time === 'string' &&
      !Number.isNaN(Date.parse(event.time)) &&
      typeof event.staxEventType === 'string';
    return valid ? (event as AuditEvent) : undefined;
  } catch {
    return undefined;
  }
}
