import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { TABLE_NAME_ENV } from '@/lambdas/shared/constants';
import { IdentityTable } from '@/lib/identity/identity-table';
import { REPO_ROOT, StaxidFunction } from '@/lib/identity/staxid-function';

function build(configure: (stack: Stack) => void = () => {}) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Test', { env: { account: '222222222222', region: 'eu-west-1' } });
  const fn = new StaxidFunction(stack, 'Health', {
    entry: 'lambdas/meta/health.ts',
    logRetention: RetentionDays.ONE_MONTH,
    environment: { EXTRA: 'yes' },
  });
  configure(stack);
  return { stack, fn, template: Template.fromStack(stack) };
}

describe('StaxidFunction', () => {
  const { stack, fn, template } = build();
  const logicalId = (construct: { node: { defaultChild?: unknown } }) =>
    stack.getLogicalId(construct.node.defaultChild as Parameters<Stack['getLogicalId']>[0]);

  test('runs Node.js 24 on arm64 with a 10 s timeout and 512 MB', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Timeout: 10,
      MemorySize: 512,
    });
  });

  test('traces with X-Ray and enables source maps', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      TracingConfig: { Mode: 'Active' },
      Environment: { Variables: { NODE_OPTIONS: '--enable-source-maps', EXTRA: 'yes' } },
    });
  });

  test('logs JSON to its own log group with the given retention, kept on delete', () => {
    template.resourceCountIs('AWS::Logs::LogGroup', 1);
    const logGroup = Object.keys(template.findResources('AWS::Logs::LogGroup'))[0];
    template.hasResource('AWS::Logs::LogGroup', {
      DeletionPolicy: 'Retain',
      Properties: { RetentionInDays: 30 },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      LoggingConfig: {
        LogFormat: 'JSON',
        ApplicationLogLevel: 'INFO',
        SystemLogLevel: 'WARN',
        LogGroup: { Ref: logGroup },
      },
    });
  });

  test('uses no log-retention custom resource', () => {
    template.resourceCountIs('Custom::LogRetention', 0);
  });

  test('has its own role with no managed policy, writing only to its log group', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Role: { 'Fn::GetAtt': [logicalId(fn.executionRole), 'Arn'] },
    });
    const role = template.toJSON().Resources[logicalId(fn.executionRole)];
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
    ]);
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalId(fn.executionRole) }],
      PolicyDocument: {
        Statement: [
          { Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' },
          {
            Effect: 'Allow',
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Resource: {
              'Fn::GetAtt': [Object.keys(template.findResources('AWS::Logs::LogGroup'))[0], 'Arn'],
            },
          },
        ],
      },
    });
  });

  test('stops recursive loops', () => {
    template.hasResourceProperties('AWS::Lambda::Function', { RecursiveLoop: 'Terminate' });
  });

  test('remembers its entry', () => {
    expect(fn.entryPath).toBe('lambdas/meta/health.ts');
  });
});

describe('StaxidFunction entry validation', () => {
  test.each([
    [
      '/abs/lambdas/meta/health.ts',
      'StaxidFunction entry must be relative to the repository root, e.g. "lambdas/meta/health.ts" (got "/abs/lambdas/meta/health.ts")',
    ],
    [
      '../outside/health.ts',
      'StaxidFunction entry must be inside the repository (got "../outside/health.ts")',
    ],
    [
      'lambdas/meta/health.js',
      'StaxidFunction entry must be a TypeScript file (got "lambdas/meta/health.js")',
    ],
    [
      'lambdas/meta/missing.ts',
      `StaxidFunction entry "lambdas/meta/missing.ts" does not exist under ${REPO_ROOT}`,
    ],
    ['lambdas/meta', 'StaxidFunction entry must be a TypeScript file (got "lambdas/meta")'],
  ])('refuses %s', (entry, message) => {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Test');
    expect(() => new StaxidFunction(stack, 'Fn', { entry, logRetention: RetentionDays.ONE_DAY })).toThrow(
      new Error(message),
    );
  });
});

describe('StaxidFunction.grantTable', () => {
  test.each([
    [
      'read',
      ['dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:Scan'],
      ['dynamodb:PutItem'],
    ],
    ['readWrite', ['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'], []],
  ] as const)(
    '%s access grants the table and its indexes and sets STAXID_TABLE_NAME',
    (access, allowed, denied) => {
      let tableId = '';
      const { template } = build((stack) => {
        const { table } = new IdentityTable(stack, 'Data');
        tableId = stack.getLogicalId(table.node.defaultChild as Parameters<Stack['getLogicalId']>[0]);
        const fn = stack.node.findChild('Health');
        if (!(fn instanceof StaxidFunction)) throw new Error('no function');
        fn.grantTable(table, access);
      });
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ [TABLE_NAME_ENV]: { Ref: tableId } }) },
      });
      const statements: { Action: string | string[]; Resource: unknown }[] = Object.values(
        template.findResources('AWS::IAM::Policy'),
      ).flatMap((policy) => policy.Properties.PolicyDocument.Statement);
      const dynamo = statements.filter((statement) => JSON.stringify(statement.Action).includes('dynamodb:'));
      const actions = dynamo.flatMap((statement) => [statement.Action].flat());
      for (const action of allowed) expect(actions).toContain(action);
      for (const action of denied) expect(actions).not.toContain(action);
      for (const statement of dynamo) {
        expect(statement.Resource).toEqual([
          { 'Fn::GetAtt': [tableId, 'Arn'] },
          { 'Fn::Join': ['', [{ 'Fn::GetAtt': [tableId, 'Arn'] }, '/index/*']] },
        ]);
      }
    },
  );
});
