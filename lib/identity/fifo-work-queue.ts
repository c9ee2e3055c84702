import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

export interface FifoWorkQueueProps {
  /** The timeout of the function that works the queue: the visibility timeout is six times it. */
  readonly workerTimeout: Duration;
  /** Deliveries before a message moves to the dead-letter queue. */
  readonly maxReceiveCount: number;
  /** What a message in the dead-letter queue means, and where to look. */
  readonly deadLetterDescription: string;
}

export interface FifoWorkQueue {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  /** In alarm while a message sits in the dead-letter queue. */
  readonly deadLetterAlarm: Alarm;
}

/**
 * The work queue of session revocation and permission-set deployment, made in `scope`:
 * SQS FIFO (one message group per AWS account), encrypted, TLS only, a FIFO dead-letter
 * queue kept 14 days, and an alarm as soon as anything lands there.
 */
export function fifoWorkQueue(scope: Construct, props: FifoWorkQueueProps): FifoWorkQueue {
  const deadLetterQueue = new Queue(scope, 'DeadLetterQueue', {
    fifo: true,
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  const queue = new Queue(scope, 'Queue', {
    fifo: true,
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    // AWS's advice for Lambda: six times the function's timeout.
    visibilityTimeout: Duration.seconds(props.workerTimeout.toSeconds() * 6),
    deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
  });
  const deadLetterAlarm = new Alarm(scope, 'DeadLetterAlarm', {
    alarmDescription: props.deadLetterDescription,
    metric: deadLetterQueue.metricApproximateNumberOfMessagesVisible({
      period: Duration.minutes(1),
      statistic: 'Maximum',
    }),
    threshold: 0,
    comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: TreatMissingData.NOT_BREACHING,
  });
  return { queue, deadLetterQueue, deadLetterAlarm };
}
