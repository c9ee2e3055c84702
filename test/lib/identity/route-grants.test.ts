import { Match } from 'aws-cdk-lib/assertions';
import type { RouteDefinition } from '@/lambdas/routes';
import { identityFixture } from './identity-fixture';

/** Existing handler files stand in for the functions; only the grants matter here. */
function route(operationId: string, handler: string, grants: RouteDefinition['grants']): RouteDefinition {
  return {
    operationId,
    method: 'GET',
    path: `/${operationId}`,
    handler,
    auth: 'bearer',
    summary: operationId,
    tag: 'Test',
    grants,
  };
}

const routes = [
  route('Writer', 'lambdas/meta/health.ts', ['table:write']),
  route('Discover', 'lambdas/meta/openapi.ts', ['table:write', 'organizations:read']),
  route('Recorder', 'lambdas/tasks/read-config.ts', ['table:read', 'audit:record']),
];

function environmentOf(template: ReturnType<typeof identityFixture>['template'], description: string) {
  const functions = template.findResources('AWS::Lambda::Function', {
    Properties: { Description: Match.stringLikeRegexp(description) },
  });
  const [fn] = Object.values(functions);
  return (fn?.Properties?.Environment?.Variables ?? {}) as Record<string, unknown>;
}

describe('route grants', () => {
  const { template, config } = identityFixture({ routes });

  it('gives writing functions their table (audit events go to its outbox) and nothing for the organization', () => {
    const env = environmentOf(template, '/Writer');
    expect(env).toMatchObject({
      STAXID_TABLE_NAME: expect.anything(),
      STAXID_ORGANISATION_ID: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(env).not.toHaveProperty('STAXID_AUDIT_BUCKET');
    expect(env).not.toHaveProperty('STAXID_AUDIT_WRITER_ROLE_ARN');
    expect(env).not.toHaveProperty('STAXID_ORGANIZATIONS_ROLE_ARN');
  });

  it('lets a reading function record audit events only as outbox items (PutItem on AUDIT# keys)', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Action: 'dynamodb:PutItem',
            Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['AUDIT#*'] } },
            Effect: 'Allow',
            Resource: Match.objectLike({
              'Fn::GetAtt': Match.arrayWith([Match.stringLikeRegexp('DataTable')]),
            }),
          },
        ]),
      },
    });
    expect(environmentOf(template, '/Recorder')).not.toHaveProperty('STAXID_AUDIT_BUCKET');
  });

  it('lets only the outbox shipper assume the audit writer role', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'staxid-audit-writer',
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Condition: {
              ArnEquals: {
                'aws:PrincipalArn': Match.arrayWith([Match.objectLike({ 'Fn::GetAtt': Match.anyValue() })]),
              },
            },
          }),
        ],
      },
    });
  });

  it('names the discovery role so the management account can trust it, and lets it assume only the reader', () => {
    template.hasResourceProperties('AWS::IAM::Role', { RoleName: 'staxid-account-discovery' });
    const env = environmentOf(template, '/Discover');
    expect(env).toMatchObject({
      STAXID_ORGANIZATIONS_ROLE_ARN: {
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            `:iam::${config.accounts.management}:role/staxid-organizations-reader`,
          ],
        ],
      },
      STAXID_MANAGEMENT_ACCOUNT_ID: config.accounts.management,
      STAXID_SECURITY_ACCOUNT_ID: config.accounts.security,
      STAXID_LOGGING_ACCOUNT_ID: config.accounts.logging,
    });
  });

  it('builds the token issuer from the API id, without a circular reference to the deployment', () => {
    const env = environmentOf(template, '/Writer');
    expect(JSON.stringify(env.STAXID_TOKEN_ISSUER)).toContain('execute-api');
    expect(JSON.stringify(env.STAXID_TOKEN_ISSUER)).not.toContain('Deployment');
  });

  it('lets the authorizer read the table and the signing key, and nothing else of KMS', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'kms:GetPublicKey',
            Resource: Match.objectLike({
              'Fn::GetAtt': Match.arrayWith([Match.stringLikeRegexp('TokenSigningKey')]),
            }),
          }),
        ]),
      },
    });
  });

  it('creates the HMAC key that hashes API token secrets', () => {
    template.hasResourceProperties('AWS::KMS::Key', { KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
  });
});
