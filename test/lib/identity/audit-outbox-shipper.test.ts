import { Match } from 'aws-cdk-lib/assertions';
import { identityFixture } from './identity-fixture';

/** The audit outbox's delivery in AWS (ADR 0010): table stream → shipper → Audit bucket. */
describe('AuditOutboxShipper', () => {
  const { template, stack, config } = identityFixture();

  test('the identity table streams new and old images', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
    });
  });

  test('the shipper reads only new outbox items, retries failed records and dead-letters what never ships', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: stack.resolve(stack.auditShipper.function.functionName).Ref },
      StartingPosition: 'TRIM_HORIZON',
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      FilterCriteria: {
        Filters: [
          {
            Pattern: JSON.stringify({ eventName: ['INSERT'], dynamodb: { Keys: { SK: { S: ['AUDIT'] } } } }),
          },
        ],
      },
      DestinationConfig: {
        OnFailure: {
          Destination: {
            'Fn::GetAtt': [
              stack.resolve(stack.auditShipper.deadLetterQueue.queueArn)['Fn::GetAtt'][0],
              'Arn',
            ],
          },
        },
      },
    });
  });

  test('only the shipper and AWS sign-in (which answers after its event is in the bucket) may write the bucket', () => {
    const functions = Object.values(template.findResources('AWS::Lambda::Function'));
    const writers = functions.filter(
      (fn) => fn.Properties?.Environment?.Variables?.STAXID_AUDIT_WRITER_ROLE_ARN !== undefined,
    );
    expect(writers.map((fn) => fn.Properties.Description).sort()).toEqual([
      'staxid: POST /20190206/aws/sign-in',
      expect.stringContaining('lambdas/audit/ship-audit-events.ts'),
    ]);
    for (const writer of writers) {
      expect(writer.Properties.Environment.Variables.STAXID_AUDIT_BUCKET).toBe(
        `staxid-audit-${config.accounts.logging}-${config.region}`,
      );
    }
  });

  test('alarms on dead letters and on deliveries falling behind', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'IteratorAge',
      Threshold: 15 * 60 * 1000,
      Dimensions: Match.arrayWith([Match.objectLike({ Name: 'FunctionName' })]),
    });
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
  });
});
