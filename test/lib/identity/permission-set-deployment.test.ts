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
import { ACCOUNT_STREAM_FILTER_PATTERNS } from '@/lambdas/deployments/account-fan-out';
import { ABANDONED_AFTER_MINUTES, DEPLOYMENT_WORKER_TIMEOUT_SECONDS } from '@/lambdas/deployments/messages';
import { PermissionSetDeployment } from '@/lib/identity/permission-set-deployment';
import { DeployerRole } from '@/lib/identity/service-roles';

interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
}

function build(options: { nag?: boolean; outdir?: string } = {}) {
  const app = new App({
    ...(options.outdir && { outdir: options.outdir }),
    context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] },
  });
  const stack = new Stack(app, 'Deployments', { env: { account: '222222222222', region: 'eu-west-1' } });
  const key = new Key(stack, 'TableKey', { enableKeyRotation: true });
  const table = new TableV2(stack, 'Table', {
    partitionKey: { name: 'PK', type: AttributeType.STRING },
    sortKey: { name: 'SK', type: AttributeType.STRING },
    encryption: TableEncryptionV2.customerManagedKey(key),
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    dynamoStream: StreamViewType.NEW_AND_OLD_IMAGES,
  });
  const deployerRole = new DeployerRole(stack, 'Deployer', { organizationId: 'o-a1b2c3d4e5' });
  if (options.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const deployment = new PermissionSetDeployment(stack, 'PermissionSetDeployment', {
    table,
    deployerRole,
    logRetention: RetentionDays.ONE_MONTH,
    maxConcurrency: 20,
  });
  return { app, stack, deployment, deployerRole };
}

const { stack, deployment, deployerRole } = build();
const template = Template.fromStack(stack);
const actions = (statement: Statement) => [statement.Action].flat();

function statementsOf(fn: { executionRole: { node: { defaultChild?: unknown } } }): Statement[] {
  const roleId = stack.getLogicalId(fn.executionRole.node.defaultChild as never);
  const policies = template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: Match.arrayWith([{ Ref: roleId }]) },
  });
  return Object.values(policies).flatMap(
    (policy) => policy.Properties.PolicyDocument.Statement as Statement[],
  );
}

describe('PermissionSetDeployment', () => {
  test('a FIFO queue with a FIFO dead-letter queue after 5 receives, and an alarm on its first message', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      FifoQueue: true,
      SqsManagedSseEnabled: true,
      RedrivePolicy: { deadLetterTargetArn: Match.anyValue(), maxReceiveCount: 5 },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  test('a run and any delivery SQS still owes touch a deployment before the reconcile calls it abandoned', () => {
    const workerId = stack.getLogicalId(deployment.workerFunction.node.defaultChild as never);
    const timeout = template.toJSON().Resources[workerId].Properties.Timeout as number;
    const queueId = stack.getLogicalId(deployment.queue.node.defaultChild as never);
    const visibility = template.toJSON().Resources[queueId].Properties.VisibilityTimeout as number;
    expect(timeout).toBe(DEPLOYMENT_WORKER_TIMEOUT_SECONDS);
    expect(visibility).toBe(6 * timeout);
    expect(timeout + visibility).toBeLessThan(ABANDONED_AFTER_MINUTES * 60);
  });

  test('the worker consumes the queue with bounded concurrency, reporting failed messages', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('PermissionSetDeploymentQueue'), 'Arn'] },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 20 },
    });
  });

  test('the fan-out reads account items from the stream', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      StartingPosition: 'LATEST',
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      FilterCriteria: {
        Filters: ACCOUNT_STREAM_FILTER_PATTERNS.map((pattern) => ({ Pattern: JSON.stringify(pattern) })),
      },
    });
  });

  test('the reconcile runs hourly', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 hour)',
      Targets: [Match.objectLike({ Arn: Match.anyValue() })],
    });
  });

  test('the worker and the reconcile may assume the deployer role; the fan-out may not', () => {
    const deployerRoleId = stack.getLogicalId(deployerRole.role.node.defaultChild as never);
    for (const fn of [deployment.workerFunction, deployment.reconcileFunction]) {
      expect(statementsOf(fn).filter((s) => actions(s).some((a) => a.startsWith('sts:')))).toEqual([
        expect.objectContaining({
          Action: 'sts:AssumeRole',
          Resource: { 'Fn::GetAtt': [deployerRoleId, 'Arn'] },
        }),
      ]);
    }
    expect(
      statementsOf(deployment.fanOutFunction)
        .flatMap(actions)
        .filter((a) => a.startsWith('sts:')),
    ).toEqual([]);
    expect(statementsOf(deployment.fanOutFunction).flatMap(actions)).toContain('sqs:SendMessage');
  });

  test('passes the AwsSolutions checks with no unacknowledged error or warning', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'staxid-deployments-nag-'));
    try {
      const { app } = build({ nag: true, outdir });
      expect(() => app.synth()).not.toThrow();
      const report: {
        pluginReports: { pluginName: string; violations: { ruleName: string; severity: string }[] }[];
      } = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8'));
      const findings = report.pluginReports
        .filter((plugin) => plugin.pluginName === 'AwsSolutions')
        .flatMap((plugin) => plugin.violations.map((v) => `${v.severity} ${v.ruleName}`));
      expect(findings).toEqual([]);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
