import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import {
  type AuditEvent,
  AuditEventExistsError,
  type AuditSink,
  AuditWriteError,
} from '@/lambdas/shared/audit';
import { type Db, dbFromEnv } from '@/lambdas/shared/db';
import { TABLE_TTL_ATTRIBUTE } from '@/lambdas/shared/table-schema';

/**
 * The audit outbox (ADR 0010): API changes, token exchanges and Cognito sign-ins record
 * their audit event as an item of the identity table, in the same DynamoDB that holds the
 * change; the table's stream delivers each new item to the Audit bucket (lambdas/audit/
 * ship-audit-events.ts in AWS, local/stream-reader.ts under `npm start`).
 *
 * "No audit event, no change" holds as before: the event item is written (durably, with
 * point-in-time recovery) before the change commits, and if it cannot be written the
 * request fails with nothing changed. The request path needs only the table it already
 * uses: no S3 or STS client, no cross-account call.
 */

/** The partition key of every outbox item starts with this; IAM confines record-only functions to it. */
export const AUDIT_OUTBOX_PK_PREFIX = 'AUDIT#';

/** The sort key of every outbox item; the stream's filter and the shippers select on it. */
export const AUDIT_OUTBOX_SK = 'AUDIT';

/** The attribute that holds the event, as the JSON object the bucket receives. */
export const AUDIT_OUTBOX_EVENT_ATTRIBUTE = 'Event';

/**
 * How long an outbox item stays after its event: long enough to re-deliver from the table
 * if the stream consumer was down for longer than the stream's 24 hours; the bucket keeps
 * the event for the configured retention.
 */
export const AUDIT_OUTBOX_RETENTION_DAYS = 14;

export interface AuditOutboxItem {
  readonly PK: string;
  readonly SK: typeof AUDIT_OUTBOX_SK;
  readonly [AUDIT_OUTBOX_EVENT_ATTRIBUTE]: AuditEvent;
  readonly [TABLE_TTL_ATTRIBUTE]: number;
}

/** The outbox item of an event: `AUDIT#<eventId>` / `AUDIT`, expiring after the retention. */
export function auditOutboxItem(event: AuditEvent): AuditOutboxItem {
  const expires = Date.parse(event.time) / 1000 + AUDIT_OUTBOX_RETENTION_DAYS * 24 * 60 * 60;
  return {
    PK: `${AUDIT_OUTBOX_PK_PREFIX}${event.eventId}`,
    SK: AUDIT_OUTBOX_SK,
    [AUDIT_OUTBOX_EVENT_ATTRIBUTE]: event,
    [TABLE_TTL_ATTRIBUTE]: Math.floor(expires),
  };
}

/** Records events in the table's outbox. */
export class OutboxAuditSink implements AuditSink {
  constructor(private readonly db: Db) {}

  async write(event: AuditEvent): Promise<void> {
    try {
      await this.db.doc.send(
        new PutCommand({
          TableName: this.db.tableName,
          Item: auditOutboxItem(event),
          // An event is recorded once and never replaced.
          ConditionExpression: 'attribute_not_exists(PK)',
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new AuditEventExistsError(error);
      throw new AuditWriteError(error);
    }
  }
}

/** The outbox of the table this function was deployed with. */
export function outboxAuditSinkFromEnv(env: NodeJS.ProcessEnv = process.env): AuditSink {
  return new OutboxAuditSink(dbFromEnv(env));
}
