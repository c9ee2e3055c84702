import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AttributeType, StreamViewType, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Key } from 'aws-cdk-lib/aws-kms';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import cdkJson from '@/cdk.json';
import { STREAM_FILTER_PATTERNS } from '@/lambdas/revocation/fan-out';
import { SessionRevocation } from '@/lib/identity/revocation';
import { DeployerRole } from '@/lib/identity/service-roles';

const SECURITY = '222222222222';

interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
}

function build(options: { stream?: StreamViewType | false; nag?: boolean; outdir?: string } = {}) {
  const app = new App({
    ...(options.outdir && { outdir: options.outdir }),
    context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] },
  });
  const stack = new Stack(app, 'Revocation', { env: { account: SECURITY, region: 'eu-west-1' } });
  const key = new Key(stack, 'TableKey', { enableKeyRotation: true });
  const table = new TableV2(stack, 'Table', {
    partitionKey: { name: 'PK', type: AttributeType.STRING },
    sortKey: { name: 'SK', type: AttributeType.STRING },
    encryption: TableEncryptionV2.customerManagedKey(key),
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    ...(options.stream !== false && { dynamoStream: options.stream ?? StreamViewType.NEW_AND_OLD_IMAGES }),
  });
  const deployerRole = new DeployerRole(stack, 'Deployer', { organizationId: 'o-a1b2c3d4e5' });
  if (options.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const revocation = new SessionRevocation(stack, 'SessionRevocation', {
    table,
    deployerRole,
    logRetention: RetentionDays.ONE_MONTH,
  });
  return { app, stack, revocation, deployerRole };
}

const { stack, revocation, deployerRole } = build();
const template = Template.fromStack(stack);

function policyStatements(roleLogicalId: string): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: Match.arrayWith([{ Ref: roleLogicalId }]) },
  });
  return Object.values(policies).flatMap(
    (policy) => policy.Properties.PolicyDocument.Statement as Statement[],
  );
}

interface NagReport {
  readonly pluginReports: readonly {
    readonly pluginName: string;
    readonly violations: readonly { readonly ruleName: string; readonly severity: string }[];
  }[];
}

const actions = (statement: Statement) => [statement.Action].flat();

describe('SessionRevocation', () => {
  test('the queue is FIFO, encrypted, TLS-only, with a FIFO dead-letter queue after 5 receives', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      FifoQueue: true,
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 720,
      RedrivePolicy: {
        deadLetterTargetArn: {
          'Fn::GetAtt': [stack.getLogicalId(revocation.deadLetterQueue.node.defaultChild as never), 'Arn'],
        },
        maxReceiveCount: 5,
      },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      FifoQueue: true,
      SqsManagedSseEnabled: true,
      RedrivePolicy: Match.absent(),
      MessageRetentionPeriod: 1_209_600,
    });
    template.resourcePropertiesCountIs(
      'AWS::SQS::QueuePolicy',
      {
        PolicyDocument: {
          Statement: [
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ],
        },
      },
      2,
    );
  });

  test('an alarm fires as soon as one message is in the dead-letter queue', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      Dimensions: [
        {
          Name: 'QueueName',
          Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('DeadLetterQueue'), 'QueueName'] },
        },
      ],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
  });

  test('the fan-out reads the stream through the filter, reporting failed records', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: Match.anyValue(),
      StartingPosition: 'LATEST',
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      FilterCriteria: {
        Filters: STREAM_FILTER_PATTERNS.map((pattern) => ({ Pattern: JSON.stringify(pattern) })),
      },
    });
  });

  test('the worker consumes the queue in batches, reporting failed messages', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('SessionRevocationQueue'), 'Arn'] },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  test('the worker may assume the deployer role and nothing else beyond its queue, logs and traces', () => {
    const roleId = stack.getLogicalId(revocation.workerFunction.executionRole.node.defaultChild as never);
    const statements = policyStatements(roleId);

    const services = new Set(statements.flatMap(actions).map((action) => action.split(':')[0]));
    expect([...services].sort()).toEqual(['logs', 'sqs', 'sts', 'xray']);
    const assume = statements.filter((statement) => actions(statement).some((a) => a.startsWith('sts:')));
    const deployerRoleId = stack.getLogicalId(deployerRole.role.node.defaultChild as never);
    expect(assume).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Resource: { 'Fn::GetAtt': [deployerRoleId, 'Arn'] },
      }),
    ]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ STAXID_DEPLOYER_ROLE_ARN: Match.anyValue() }) },
    });
  });

  test('the deployer role trusts the worker', () => {
    const workerRole = stack.getLogicalId(revocation.workerFunction.executionRole.node.defaultChild as never);
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'staxid-deployer',
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Condition: { ArnEquals: { 'aws:PrincipalArn': [{ 'Fn::GetAtt': [workerRole, 'Arn'] }] } },
          }),
        ],
      },
    });
  });

  test('the fan-out may read the table and send to the queue, and knows the queue URL', () => {
    const roleId = stack.getLogicalId(revocation.fanOutFunction.executionRole.node.defaultChild as never);
    const all = policyStatements(roleId).flatMap(actions);

    expect(all).toEqual(
      expect.arrayContaining([
        'sqs:SendMessage',
        'dynamodb:Query',
        'dynamodb:GetRecords',
        'dynamodb:ListStreams',
      ]),
    );
    expect(all.filter((action) => /^dynamodb:(Put|Update|Delete|BatchWrite)/.test(action))).toEqual([]);
    expect(all.filter((action) => action.startsWith('sts:'))).toEqual([]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          STAXID_REVOCATION_QUEUE_URL: { Ref: Match.stringLikeRegexp('SessionRevocationQueue') },
          STAXID_TABLE_NAME: Match.anyValue(),
        }),
      },
    });
  });

  test.each([
    [false, 'no stream'],
    [StreamViewType.NEW_IMAGE, 'NEW_IMAGE'],
  ] as const)('refuses a table whose stream is %s', (stream, got) => {
    expect(() => build({ stream })).toThrow(
      `Revocation/SessionRevocation: the table must have a stream with NEW_AND_OLD_IMAGES (dynamoStream), got ${got}`,
    );
  });

  test('passes the AwsSolutions checks with no unacknowledged error or warning', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'staxid-revocation-nag-'));
    try {
      const { app } = build({ nag: true, outdir });

      expect(() => app.synth()).not.toThrow();
      const report: NagReport = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8'));
      const findings = report.pluginReports
        .filter((plugin) => plugin.pluginName === 'AwsSolutions')
        .flatMap((plugin) => plugin.violations.map((v) => `${v.severity} ${v.ruleName}`));
      expect(findings).toEqual([]);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
