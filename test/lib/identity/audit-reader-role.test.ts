import { App, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Template } from 'aws-cdk-lib/assertions';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AUDIT_READER_ROLE_NAME } from '@/lambdas/shared/constants';
import { AuditReaderRole } from '@/lib/identity/service-roles';

const partitionArn = (rest: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, rest]] });
const BUCKET = 'staxid-audit-333333333333-eu-west-1';

function readerStack(app = new App()) {
  const stack = new Stack(app, 'Test', { env: { account: '222222222222', region: 'eu-west-1' } });
  const reader = new AuditReaderRole(stack, 'AuditReader', { loggingAccount: '333333333333' });
  const queryRole = new Role(stack, 'QueryFunctionRole', {
    assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
  });
  return { stack, reader, queryRole };
}

describe('AuditReaderRole', () => {
  it(`is ${AUDIT_READER_ROLE_NAME}: lists and gets events under events/ and decrypts them through S3, nothing else`, () => {
    const { stack } = readerStack();

    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'staxid-audit-reader',
      MaxSessionDuration: 3600,
      Policies: [
        {
          PolicyName: 'Permissions',
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Sid: 'ListAuditEvents',
                Effect: 'Allow',
                Action: 's3:ListBucket',
                Resource: partitionArn(`:s3:::${BUCKET}`),
                Condition: { StringLike: { 's3:prefix': 'events/*' } },
              },
              {
                Sid: 'GetAuditEvents',
                Effect: 'Allow',
                Action: 's3:GetObject',
                Resource: partitionArn(`:s3:::${BUCKET}/events/*`),
              },
              {
                Sid: 'DecryptAuditEventsThroughS3',
                Effect: 'Allow',
                Action: 'kms:Decrypt',
                Resource: partitionArn(':kms:eu-west-1:333333333333:key/*'),
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

  it('is assumable only by the roles registered with allowAssumeBy, by principal ARN', () => {
    const { stack, reader, queryRole } = readerStack();
    reader.allowAssumeBy({ role: queryRole });
    const template = Template.fromStack(stack);
    const queryRoleId = stack.getLogicalId(queryRole.node.defaultChild as never);

    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'staxid-audit-reader',
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: 'sts:AssumeRole',
            Principal: { AWS: partitionArn(':iam::222222222222:root') },
            Condition: { ArnEquals: { 'aws:PrincipalArn': [{ 'Fn::GetAtt': [queryRoleId, 'Arn'] }] } },
          },
        ],
      },
    });
  });

  it('passes cdk-nag AwsSolutions checks', () => {
    const app = new App();
    const { stack } = readerStack(app);
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

    app.synth();

    expect(Annotations.fromStack(stack).findError('*', /AwsSolutions-IAM/)).toEqual([]);
  });
});
