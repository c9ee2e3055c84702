import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { ROUTES } from '@/lambdas/routes';
import { AUDIT_WRITER_ROLE_NAME, DEPLOYER_ROLE_NAME } from '@/lambdas/shared/constants';
import { AuditWriterRole, DeployerRole } from '@/lib/identity/service-roles';
import { StaxidFunction } from '@/lib/identity/staxid-function';
import { identityFixture } from './identity-fixture';

const { template, config } = identityFixture({
  routes: ROUTES.filter((route) => route.auth === 'none' && !route.grants),
});

const partitionArn = (rest: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, rest]] });
const root = partitionArn(':iam::222222222222:root');

describe('AuditWriterRole', () => {
  test(`is named ${AUDIT_WRITER_ROLE_NAME}, 1-hour sessions`, () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: AUDIT_WRITER_ROLE_NAME,
      MaxSessionDuration: 3600,
    });
  });

  test('may only put objects under events/ in the audit bucket, encrypting through S3 with the audit key', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: AUDIT_WRITER_ROLE_NAME,
      Policies: [
        {
          PolicyName: 'Permissions',
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Sid: 'PutAuditEvents',
                Effect: 'Allow',
                Action: 's3:PutObject',
                Resource: partitionArn(`:s3:::staxid-audit-${config.accounts.logging}-eu-west-1/events/*`),
              },
              {
                Sid: 'EncryptAuditEventsThroughS3',
                Effect: 'Allow',
                Action: 'kms:GenerateDataKey',
                Resource: partitionArn(`:kms:eu-west-1:${config.accounts.logging}:key/*`),
                Condition: {
                  StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' },
                  'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/staxid-audit' },
                },
              },
            ],
          },
        },
      ],
    });
  });

  test('has no managed policies and no other policy attached', () => {
    const role = Object.values(
      template.findResources('AWS::IAM::Role', { Properties: { RoleName: AUDIT_WRITER_ROLE_NAME } }),
    )[0];
    expect(role?.Properties.ManagedPolicyArns).toBeUndefined();
    const attached = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
      JSON.stringify(policy.Properties.Roles).includes('AuditWriter'),
    );
    expect(attached).toEqual([]);
  });

  test('is assumable by nobody until a caller is registered: it trusts only its own ARN', () => {
    const stack = new Stack(new App(), 'Bare', { env: { account: '222222222222', region: 'eu-west-1' } });
    new AuditWriterRole(stack, 'AuditWriter', { loggingAccount: '333333333333' });
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Role', {
      RoleName: AUDIT_WRITER_ROLE_NAME,
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: 'sts:AssumeRole',
            Principal: { AWS: root },
            Condition: {
              ArnEquals: {
                'aws:PrincipalArn': [partitionArn(`:iam::222222222222:role/${AUDIT_WRITER_ROLE_NAME}`)],
              },
            },
          },
        ],
      },
    });
  });
});

describe('DeployerRole', () => {
  test(`is named ${DEPLOYER_ROLE_NAME} and may only assume the automation role inside the organization`, () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: DEPLOYER_ROLE_NAME,
      MaxSessionDuration: 3600,
      Policies: [
        {
          PolicyName: 'Permissions',
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Sid: 'AssumeAutomationRoleInOrganization',
                Effect: 'Allow',
                Action: 'sts:AssumeRole',
                Resource: partitionArn(':iam::*:role/staxid-automation-role'),
                Condition: { StringEquals: { 'aws:ResourceOrgID': config.organizationId } },
              },
            ],
          },
        },
      ],
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [
          Match.objectLike({
            Principal: { AWS: root },
            Condition: {
              // Session revocation's worker is always a caller (ADR 0013), with the other workers.
              ArnEquals: {
                'aws:PrincipalArn': Match.arrayWith([
                  { 'Fn::GetAtt': [Match.stringLikeRegexp('^SessionRevocationWorker'), 'Arn'] },
                ]),
              },
            },
          }),
        ],
      }),
    });
  });
});

describe('CallerScopedRole.allowAssumeBy', () => {
  function stackWithCallers() {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Test', { env: { account: '222222222222', region: 'eu-west-1' } });
    const writer = new AuditWriterRole(stack, 'AuditWriter', { loggingAccount: '333333333333' });
    const deployer = new DeployerRole(stack, 'Deployer', { organizationId: 'o-a1b2c3d4e5' });
    const signIn = new StaxidFunction(stack, 'SignIn', {
      entry: 'lambdas/meta/health.ts',
      logRetention: RetentionDays.ONE_WEEK,
    });
    const worker = new StaxidFunction(stack, 'Worker', {
      entry: 'lambdas/meta/openapi.ts',
      logRetention: RetentionDays.ONE_WEEK,
    });
    writer.allowAssumeBy(signIn);
    writer.allowAssumeBy(worker);
    deployer.allowAssumeBy(worker);
    return { stack, template: Template.fromStack(stack), signIn, worker };
  }

  test('trusts exactly the registered callers (not itself any more)', () => {
    const { stack, template: t, signIn, worker } = stackWithCallers();
    t.hasResourceProperties('AWS::IAM::Role', {
      RoleName: AUDIT_WRITER_ROLE_NAME,
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [
          Match.objectLike({
            Principal: { AWS: root },
            Condition: {
              ArnEquals: {
                'aws:PrincipalArn': [
                  stack.resolve(signIn.executionRole.roleArn),
                  stack.resolve(worker.executionRole.roleArn),
                ],
              },
            },
          }),
        ],
      }),
    });
    t.hasResourceProperties('AWS::IAM::Role', {
      RoleName: DEPLOYER_ROLE_NAME,
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [
          Match.objectLike({
            Condition: { ArnEquals: { 'aws:PrincipalArn': [stack.resolve(worker.executionRole.roleArn)] } },
          }),
        ],
      }),
    });
  });

  test("grants sts:AssumeRole on the role to the caller's own policy", () => {
    const { stack, template: t, signIn } = stackWithCallers();
    const writerRole = Object.keys(
      t.findResources('AWS::IAM::Role', { Properties: { RoleName: AUDIT_WRITER_ROLE_NAME } }),
    )[0];
    t.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [stack.resolve(signIn.executionRole.roleName)],
      PolicyDocument: {
        Statement: Match.arrayWith([
          { Effect: 'Allow', Action: 'sts:AssumeRole', Resource: { 'Fn::GetAtt': [writerRole, 'Arn'] } },
        ]),
      },
    });
  });

  test('refuses a caller without a role', () => {
    const stack = new Stack(new App(), 'Test');
    const writer = new AuditWriterRole(stack, 'AuditWriter', { loggingAccount: '333333333333' });
    expect(() => writer.allowAssumeBy({})).toThrow(
      new Error('Test/AuditWriter: the caller has no IAM role to trust'),
    );
  });
});
