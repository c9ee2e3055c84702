import { Duration, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { AUDIT_OUTBOX_SK } from '@/lambdas/shared/audit-outbox';
import type { StaxidConfig } from '@/lib/config';
import { grantAudit } from '@/lib/identity/route-grants';
import type { AuditWriterRole } from '@/lib/identity/service-roles';
import { StaxidFunction } from '@/lib/identity/staxid-function';

export const AUDIT_SHIPPER_HANDLER = 'lambdas/audit/ship-audit-events.ts';

export interface AuditOutboxShipperProps {
  readonly config: StaxidConfig;
  /** The identity table; its stream must carry new images. */
  readonly table: ITableV2;
  readonly auditWriterRole: AuditWriterRole;
  readonly logRetention: RetentionDays;
}

/**
 * Delivers the audit outbox (ADR 0010): the identity table's stream, filtered to new
 * outbox items, drives a function that writes each event to the Audit bucket through the
 * audit writer role. A batch that keeps failing is retried (split in halves to isolate a
 * bad record) for up to a day, then its description goes to a dead-letter queue; the
 * items stay in the table for their retention, so nothing is lost while operators act on
 * the alarms (a dead letter, or deliveries falling behind).
 */
export class AuditOutboxShipper extends Construct {
  readonly function: StaxidFunction;
  readonly deadLetterQueue: Queue;
  readonly deadLetterAlarm: Alarm;
  readonly lagAlarm: Alarm;

  constructor(scope: Construct, id: string, props: AuditOutboxShipperProps) {
    super(scope, id);
    this.function = new StaxidFunction(this, 'Function', {
      entry: AUDIT_SHIPPER_HANDLER,
      logRetention: props.logRetention,
      description: `staxid: ${AUDIT_SHIPPER_HANDLER} (audit outbox → Audit bucket)`,
      timeout: Duration.seconds(60),
    });
    grantAudit(this.function, { config: props.config, auditWriterRole: props.auditWriterRole });

    this.deadLetterQueue = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "This queue is itself the dead-letter destination of the audit outbox's stream event source mapping.",
    });
    this.function.addEventSource(
      new DynamoEventSource(props.table, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(1),
        bisectBatchOnError: true,
        reportBatchItemFailures: true,
        retryAttempts: 1000,
        maxRecordAge: Duration.days(1),
        onFailure: new SqsDlq(this.deadLetterQueue),
        filters: [
          FilterCriteria.filter({
            eventName: FilterRule.isEqual('INSERT'),
            dynamodb: { Keys: { SK: { S: FilterRule.isEqual(AUDIT_OUTBOX_SK) } } },
          }),
        ],
      }),
    );

    this.deadLetterAlarm = new Alarm(this, 'DeadLetterAlarm', {
      alarmDescription:
        'staxid: audit events could not be delivered to the Audit bucket; they remain in the identity table (AUDIT# items) for re-delivery',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.lagAlarm = new Alarm(this, 'LagAlarm', {
      alarmDescription: 'staxid: audit events are reaching the Audit bucket more than 15 minutes late',
      metric: this.function.metric('IteratorAge', { statistic: 'Maximum', period: Duration.minutes(5) }),
      threshold: Duration.minutes(15).toMilliseconds(),
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }
}
