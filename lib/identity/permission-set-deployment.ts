import { Duration, Validations } from 'aws-cdk-lib';
import type { Alarm, IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { FilterCriteria, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ACCOUNT_STREAM_FILTER_PATTERNS } from '@/lambdas/deployments/account-fan-out';
import {
  DEPLOYMENT_MAX_RECEIVE_COUNT,
  DEPLOYMENT_QUEUE_URL_ENV,
  DEPLOYMENT_WORKER_TIMEOUT_SECONDS,
} from '@/lambdas/deployments/messages';
import { DEPLOYER_ROLE_ARN_ENV } from '@/lambdas/revocation/messages';
import { fifoWorkQueue } from '@/lib/identity/fifo-work-queue';
import type { CallerScopedRole } from '@/lib/identity/service-roles';
import { StaxidFunction } from '@/lib/identity/staxid-function';

/** The worker's handler file, relative to the repository root. */
export const DEPLOYMENT_WORKER_HANDLER = 'lambdas/deployments/worker.ts';
/** The account stream fan-out's handler file. */
export const DEPLOYMENT_FAN_OUT_HANDLER = 'lambdas/deployments/account-fan-out-handler.ts';
/** The scheduled reconcile's handler file. */
export const DEPLOYMENT_RECONCILE_HANDLER = 'lambdas/deployments/reconcile-handler.ts';

const WORKER_TIMEOUT = Duration.seconds(DEPLOYMENT_WORKER_TIMEOUT_SECONDS);

export interface PermissionSetDeploymentProps {
  /** The identity table; it must have a stream (the Identity stack's has NEW_AND_OLD_IMAGES). */
  readonly table: ITableV2;
  /** `staxid-deployer`: the worker and the reconcile assume it, then `staxid-automation-role`. */
  readonly deployerRole: CallerScopedRole;
  readonly logRetention: RetentionDays;
  /**
   * Workers running at once: the SQS event source's maxConcurrency (2–1000). Per account it is
   * one, by the FIFO message group.
   * @default 10
   */
  readonly maxConcurrency?: number;
  /** @default Duration.hours(1) */
  readonly reconcileEvery?: Duration;
  /** @default - the alarms only change state */
  readonly alarmAction?: IAlarmAction;
}

/**
 * Permission-set deployment (docs/decisions/0018): the API and the account fan-out enqueue
 * one message per (assignment, AWS account) on a FIFO queue grouped by account; the worker
 * converges the role in the account; messages that keep failing land in a DLQ whose alarm
 * fires on the first. An hourly rule runs the reconcile, which audits and repairs drift.
 */
export class PermissionSetDeployment extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly workerFunction: StaxidFunction;
  readonly fanOutFunction: StaxidFunction;
  readonly reconcileFunction: StaxidFunction;
  readonly deadLetterAlarm: Alarm;

  constructor(scope: Construct, id: string, props: PermissionSetDeploymentProps) {
    super(scope, id);
    ({
      queue: this.queue,
      deadLetterQueue: this.deadLetterQueue,
      deadLetterAlarm: this.deadLetterAlarm,
    } = fifoWorkQueue(this, {
      workerTimeout: WORKER_TIMEOUT,
      maxReceiveCount: DEPLOYMENT_MAX_RECEIVE_COUNT,
      deadLetterDescription:
        'staxid: a permission set deployment failed 5 times and sits in the dead-letter queue; its deployment is DEPLOYMENT_FAILED or DELETE_FAILED. See the worker logs.',
    }));

    this.workerFunction = this.function(
      'Worker',
      DEPLOYMENT_WORKER_HANDLER,
      props,
      'roles in member accounts',
      WORKER_TIMEOUT,
    );
    this.workerFunction.grantTable(props.table, 'readWrite');
    props.deployerRole.allowAssumeBy(this.workerFunction);
    this.workerFunction.addEnvironment(DEPLOYER_ROLE_ARN_ENV, props.deployerRole.role.roleArn);
    this.workerFunction.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: 10,
        reportBatchItemFailures: true,
        maxConcurrency: props.maxConcurrency ?? 10,
      }),
    );

    this.fanOutFunction = this.function(
      'FanOut',
      DEPLOYMENT_FAN_OUT_HANDLER,
      props,
      'account type changes → deployments',
      Duration.seconds(60),
    );
    this.fanOutFunction.grantTable(props.table, 'readWrite');
    this.queue.grantSendMessages(this.fanOutFunction);
    this.fanOutFunction.addEnvironment(DEPLOYMENT_QUEUE_URL_ENV, this.queue.queueUrl);
    this.fanOutFunction.addEventSource(
      new DynamoEventSource(props.table, {
        startingPosition: StartingPosition.LATEST,
        batchSize: 10,
        reportBatchItemFailures: true,
        filters: ACCOUNT_STREAM_FILTER_PATTERNS.map((pattern) => FilterCriteria.filter(pattern)),
      }),
    );
    Validations.of(this.fanOutFunction.executionRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'dynamodb:ListStreams, which the CDK grants for the stream event source, supports no resource-level permissions.',
    });

    this.reconcileFunction = this.function(
      'Reconcile',
      DEPLOYMENT_RECONCILE_HANDLER,
      props,
      'drift of permission-set roles',
      Duration.minutes(15),
    );
    this.reconcileFunction.grantTable(props.table, 'readWrite');
    props.deployerRole.allowAssumeBy(this.reconcileFunction);
    this.reconcileFunction.addEnvironment(DEPLOYER_ROLE_ARN_ENV, props.deployerRole.role.roleArn);
    this.queue.grantSendMessages(this.reconcileFunction);
    this.reconcileFunction.addEnvironment(DEPLOYMENT_QUEUE_URL_ENV, this.queue.queueUrl);
    new Rule(this, 'ReconcileSchedule', {
      description: 'staxid: hourly reconcile of permission-set roles (drift → audit event + repair)',
      schedule: Schedule.rate(props.reconcileEvery ?? Duration.hours(1)),
      targets: [new LambdaFunction(this.reconcileFunction, { retryAttempts: 0 })],
    });

    if (props.alarmAction) this.deadLetterAlarm.addAlarmAction(props.alarmAction);
  }

  private function(
    id: string,
    entry: string,
    props: PermissionSetDeploymentProps,
    what: string,
    timeout: Duration,
  ): StaxidFunction {
    return new StaxidFunction(this, id, {
      entry,
      logRetention: props.logRetention,
      description: `staxid: ${entry} (${what})`,
      timeout,
    });
  }
}
