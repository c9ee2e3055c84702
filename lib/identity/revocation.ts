import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, type IAlarmAction, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { CfnGlobalTable, type ITableV2, StreamViewType } from 'aws-cdk-lib/aws-dynamodb';
import { FilterCriteria, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { STREAM_FILTER_PATTERNS } from '@/lambdas/revocation/fan-out';
import { DEPLOYER_ROLE_ARN_ENV, REVOCATION_QUEUE_URL_ENV } from '@/lambdas/revocation/messages';
import { fifoWorkQueue } from '@/lib/identity/fifo-work-queue';
import type { CallerScopedRole } from '@/lib/identity/service-roles';
import { StaxidFunction } from '@/lib/identity/staxid-function';

/** The fan-out function's handler file, relative to the repository root. */
export const REVOCATION_FAN_OUT_HANDLER = 'lambdas/revocation/fan-out-handler.ts';
/** The worker's handler file, relative to the repository root. */
export const REVOCATION_WORKER_HANDLER = 'lambdas/revocation/revoke-sessions-worker.ts';

/** Deliveries of a revocation message before it moves to the dead-letter queue. */
export const REVOCATION_MAX_RECEIVE_COUNT = 5;

const WORKER_TIMEOUT = Duration.minutes(2);

export interface SessionRevocationProps {
  /** The identity table; it must have a stream with NEW_AND_OLD_IMAGES. */
  readonly table: ITableV2;
  /** `staxid-deployer`: the worker assumes it, then `staxid-automation-role` in each member account. */
  readonly deployerRole: CallerScopedRole;
  /** Retention of the functions' log groups. */
  readonly logRetention: RetentionDays;
  /**
   * What the alarms do (e.g. notify an SNS topic).
   * @default - the alarms only change state
   */
  readonly alarmAction?: IAlarmAction;
}

/**
 * Session revocation (docs/decisions/0013): the table's stream → a fan-out function → one
 * message per (member account, user) on an SQS FIFO queue grouped by account → a worker
 * that edits the `staxid-revoked-sessions` deny policy on the account's staxid roles.
 * Messages that keep failing land in a dead-letter queue, whose alarm fires on the first.
 */
export class SessionRevocation extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly fanOutFunction: StaxidFunction;
  readonly workerFunction: StaxidFunction;
  /** In alarm while a revocation message sits in the dead-letter queue. */
  readonly deadLetterAlarm: Alarm;
  /** In alarm while the fan-out falls behind the stream (a record it cannot send blocks its shard). */
  readonly fanOutLagAlarm: Alarm;

  constructor(scope: Construct, id: string, props: SessionRevocationProps) {
    super(scope, id);
    assertStreamWithBothImages(this, props.table);

    ({
      queue: this.queue,
      deadLetterQueue: this.deadLetterQueue,
      deadLetterAlarm: this.deadLetterAlarm,
    } = fifoWorkQueue(this, {
      workerTimeout: WORKER_TIMEOUT,
      maxReceiveCount: REVOCATION_MAX_RECEIVE_COUNT,
      deadLetterDescription:
        'staxid: a session revocation failed 5 times and sits in the dead-letter queue; its user may still hold live AWS sessions. See the worker logs.',
    }));

    this.fanOutFunction = new StaxidFunction(this, 'FanOut', {
      entry: REVOCATION_FAN_OUT_HANDLER,
      logRetention: props.logRetention,
      description: `staxid: ${REVOCATION_FAN_OUT_HANDLER} (user disabled/re-activated → revocation messages)`,
      timeout: Duration.seconds(60),
    });
    this.fanOutFunction.grantTable(props.table, 'read');
    this.queue.grantSendMessages(this.fanOutFunction);
    this.fanOutFunction.addEnvironment(REVOCATION_QUEUE_URL_ENV, this.queue.queueUrl);
    this.fanOutFunction.addEventSource(
      new DynamoEventSource(props.table, {
        startingPosition: StartingPosition.LATEST,
        batchSize: 10,
        reportBatchItemFailures: true,
        filters: STREAM_FILTER_PATTERNS.map((pattern) => FilterCriteria.filter(pattern)),
      }),
    );

    this.workerFunction = new StaxidFunction(this, 'Worker', {
      entry: REVOCATION_WORKER_HANDLER,
      logRetention: props.logRetention,
      description: `staxid: ${REVOCATION_WORKER_HANDLER} (deny policies on member-account roles)`,
      timeout: WORKER_TIMEOUT,
    });
    props.deployerRole.allowAssumeBy(this.workerFunction);
    this.workerFunction.addEnvironment(DEPLOYER_ROLE_ARN_ENV, props.deployerRole.role.roleArn);
    this.workerFunction.addEventSource(
      new SqsEventSource(this.queue, { batchSize: 10, reportBatchItemFailures: true }),
    );

    this.fanOutLagAlarm = new Alarm(this, 'FanOutLagAlarm', {
      alarmDescription:
        'staxid: the session revocation fan-out is more than 5 minutes behind the table stream. See its logs.',
      metric: this.fanOutFunction.metric('IteratorAge', {
        period: Duration.minutes(1),
        statistic: 'Maximum',
      }),
      threshold: Duration.minutes(5).toMilliseconds(),
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    if (props.alarmAction) {
      this.deadLetterAlarm.addAlarmAction(props.alarmAction);
      this.fanOutLagAlarm.addAlarmAction(props.alarmAction);
    }
    Validations.of(this.fanOutFunction.executionRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'dynamodb:ListStreams, which the CDK grants for the stream event source, supports no resource-level permissions.',
    });
  }
}

/** The fan-out compares the old and new status: a table defined in this app must stream both images. */
function assertStreamWithBothImages(scope: Construct, table: ITableV2): void {
  const resource = table.node.defaultChild;
  if (!(resource instanceof CfnGlobalTable)) return;
  // TableV2 renders its stream specification lazily.
  const spec: unknown = Stack.of(table).resolve(resource.streamSpecification);
  const viewType =
    typeof spec === 'object' && spec !== null && 'streamViewType' in spec
      ? String(spec.streamViewType)
      : undefined;
  if (viewType !== StreamViewType.NEW_AND_OLD_IMAGES) {
    throw new Error(
      `${scope.node.path}: the table must have a stream with ${StreamViewType.NEW_AND_OLD_IMAGES} (dynamoStream), got ${viewType ?? 'no stream'}`,
    );
  }
}
