import { Match } from 'aws-cdk-lib/assertions';
import { Key } from 'aws-cdk-lib/aws-kms';
import { handlerFiles, ROUTES } from '@/lambdas/routes';
import { PUBLIC_CONFIG_ENV } from '@/lambdas/shared/constants';
import { TABLE_INDEXES, TABLE_KEYS, TABLE_TTL_ATTRIBUTE } from '@/lambdas/shared/table-schema';
import { AUTHORIZER_HANDLER } from '@/lib/identity/identity-api';
import { SAML_SIGNING_KEY_ALIAS, TOKEN_SIGNING_KEY_ALIAS } from '@/lib/identity/identity-stack';
import { TABLE_KEY_ALIAS } from '@/lib/identity/identity-table';
import { StaxidFunction } from '@/lib/identity/staxid-function';
import { exampleConfig } from '@/test/support/config';
import { identityFixture, logicalIdOf } from './identity-fixture';

const { stack, template } = identityFixture();

function keyIdByAlias(alias: string): string {
  const aliases = template.findResources('AWS::KMS::Alias', { Properties: { AliasName: alias } });
  const [only] = Object.values(aliases);
  const target = only?.Properties?.TargetKeyId?.['Fn::GetAtt']?.[0];
  if (typeof target !== 'string') throw new Error(`no key behind ${alias}`);
  return target;
}

describe('IdentityStack table', () => {
  test('has the key schema, indexes and TTL of lambdas/shared/table-schema.ts', () => {
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [
        { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' },
        { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: TABLE_INDEXES.map((index) => ({
        IndexName: index.indexName,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' },
          { AttributeName: index.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      })),
      TimeToLiveSpecification: { AttributeName: TABLE_TTL_ATTRIBUTE, Enabled: true },
      BillingMode: 'PAY_PER_REQUEST',
    });
  });

  test('has point-in-time recovery and deletion protection, and is retained', () => {
    template.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        Replicas: [
          Match.objectLike({
            Region: 'eu-west-1',
            PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
            DeletionProtectionEnabled: true,
          }),
        ],
      }),
    });
  });

  test('is encrypted with its own rotating customer-managed key', () => {
    const keyId = keyIdByAlias(TABLE_KEY_ALIAS);
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
      Replicas: [
        Match.objectLike({ SSESpecification: { KMSMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } } }),
      ],
    });
    expect(template.toJSON().Resources[keyId]).toMatchObject({
      DeletionPolicy: 'Retain',
      Properties: { EnableKeyRotation: true },
    });
  });
});

describe('IdentityStack signing keys', () => {
  test.each([
    ['token', TOKEN_SIGNING_KEY_ALIAS, 'ECC_NIST_P256'],
    ['SAML', SAML_SIGNING_KEY_ALIAS, 'RSA_2048'],
  ])(
    'the %s signing key is an asymmetric SIGN_VERIFY key (%s, %s), retained, 30-day pending window',
    (_, alias, spec) => {
      const keyId = keyIdByAlias(alias);
      const key = template.toJSON().Resources[keyId];
      expect(key).toMatchObject({
        Type: 'AWS::KMS::Key',
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        Properties: { KeySpec: spec, KeyUsage: 'SIGN_VERIFY', PendingWindowInDays: 30 },
      });
      expect(key.Properties.EnableKeyRotation).toBeUndefined();
    },
  );

  test.each([
    ['token', TOKEN_SIGNING_KEY_ALIAS],
    ['SAML', SAML_SIGNING_KEY_ALIAS],
  ])(
    'the %s signing key lets only the roles the stack grants kms:Sign sign, whatever IAM grants elsewhere',
    (_, alias) => {
      const keyId = keyIdByAlias(alias);
      interface Statement {
        readonly Effect: string;
        readonly Action: string | string[];
        readonly Resource: unknown;
      }
      interface Resource {
        readonly Type: string;
        readonly Properties: {
          readonly PolicyDocument: { readonly Statement: Statement[] };
          readonly Roles: { readonly Ref: string }[];
          readonly KeyPolicy: { readonly Statement: Statement[] };
        };
      }
      const resources = template.toJSON().Resources as Record<string, Resource>;
      const grantedRoles = Object.values(resources)
        .filter((resource) => resource.Type === 'AWS::IAM::Policy')
        .filter((policy) =>
          policy.Properties.PolicyDocument.Statement.some(
            (statement) =>
              [statement.Action].flat().includes('kms:Sign') &&
              JSON.stringify(statement.Resource) === JSON.stringify({ 'Fn::GetAtt': [keyId, 'Arn'] }),
          ),
        )
        .flatMap((policy) => policy.Properties.Roles.map((role) => role.Ref))
        .sort();
      expect(grantedRoles.length).toBeGreaterThanOrEqual(1);
      const denies = resources[keyId]?.Properties.KeyPolicy.Statement.filter(
        (statement) => statement.Effect === 'Deny',
      );
      expect(denies).toEqual([
        {
          Sid: 'OnlyStaxidSignersMaySign',
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 'kms:Sign',
          Resource: '*',
          Condition: {
            ArnNotEquals: {
              'aws:PrincipalArn': grantedRoles.map((role) => ({ 'Fn::GetAtt': [role, 'Arn'] })),
            },
          },
        },
      ]);
    },
  );

  test('are exposed as typed members', () => {
    expect(stack.tokenSigningKey).toBeInstanceOf(Key);
    expect(stack.samlSigningKey).toBeInstanceOf(Key);
    expect(stack.resolve(stack.tokenSigningKey.keyArn)).toEqual({
      'Fn::GetAtt': [keyIdByAlias(TOKEN_SIGNING_KEY_ALIAS), 'Arn'],
    });
    expect(stack.resolve(stack.samlSigningKey.keyArn)).toEqual({
      'Fn::GetAtt': [keyIdByAlias(SAML_SIGNING_KEY_ALIAS), 'Arn'],
    });
  });
});

describe('IdentityStack members', () => {
  test('functions holds one StaxidFunction per handler file and the authorizer', () => {
    expect([...stack.functions.keys()].sort()).toEqual([...handlerFiles(ROUTES), AUTHORIZER_HANDLER].sort());
    for (const [handler, fn] of stack.functions) {
      expect(fn).toBeInstanceOf(StaxidFunction);
      expect(fn.entryPath).toBe(handler);
    }
    // ...plus the Cognito post-authentication and pre-token-generation triggers, the audit outbox's shipper, the deploy-time SAML certificate resource, permission-set deployment's worker, fan-out and reconcile, and session revocation's
    // fan-out and worker, which are not behind the API.
    template.resourceCountIs('AWS::Lambda::Function', handlerFiles(ROUTES).length + 10);
  });

  test('the table, pool, client, API and authorizer members are the resources in the template', () => {
    expect(stack.resolve(stack.table.tableName)).toEqual({
      Ref: logicalIdOf(template, 'AWS::DynamoDB::GlobalTable'),
    });
    expect(stack.resolve(stack.userPool.userPoolId)).toEqual({
      Ref: logicalIdOf(template, 'AWS::Cognito::UserPool'),
    });
    expect(stack.resolve(stack.userPoolClient.userPoolClientId)).toEqual({
      Ref: logicalIdOf(template, 'AWS::Cognito::UserPoolClient'),
    });
    expect(stack.resolve(stack.api.restApiId)).toEqual({
      Ref: logicalIdOf(template, 'AWS::ApiGateway::RestApi'),
    });
    expect(stack.resolve(stack.authorizer.authorizerId)).toEqual({
      Ref: logicalIdOf(template, 'AWS::ApiGateway::Authorizer'),
    });
  });
});

describe('IdentityStack public config', () => {
  test('names the hosted UI of the configured domain, where staxid login --browser signs in', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'staxid: GET /20190206/public/config',
      Environment: {
        Variables: Match.objectLike({
          [PUBLIC_CONFIG_ENV.hostedUiUrl]: {
            'Fn::Join': [
              '',
              [
                `https://${exampleConfig().identity.domainPrefix}.auth.`,
                { Ref: 'AWS::Region' },
                '.amazoncognito.com',
              ],
            ],
          },
        }),
      },
    });
  });
});

describe('IdentityStack outputs', () => {
  test('publishes the API URL, console URL, user pool id, client id and hosted domain, and nothing else', () => {
    const outputs = template.toJSON().Outputs;
    expect(Object.keys(outputs).sort()).toEqual([
      'ApiUrl',
      'ConsoleUrl',
      'HostedDomain',
      'UserPoolClientId',
      'UserPoolId',
    ]);
    template.hasOutput('UserPoolId', { Value: { Ref: logicalIdOf(template, 'AWS::Cognito::UserPool') } });
    template.hasOutput('UserPoolClientId', {
      Value: { Ref: logicalIdOf(template, 'AWS::Cognito::UserPoolClient') },
    });
    template.hasOutput('HostedDomain', {
      Value: {
        'Fn::Join': [
          '',
          [
            'https://',
            { Ref: logicalIdOf(template, 'AWS::Cognito::UserPoolDomain') },
            '.auth.eu-west-1.amazoncognito.com',
          ],
        ],
      },
    });
    template.hasOutput('ApiUrl', {
      Value: {
        'Fn::Join': [
          '',
          Match.arrayWith([
            { Ref: logicalIdOf(template, 'AWS::ApiGateway::RestApi') },
            '.execute-api.eu-west-1.',
          ]),
        ],
      },
    });
  });
});

describe('IdentityStack configuration', () => {
  test('takes throttling, WAF limit, log retention and domain from the config', () => {
    const config = exampleConfig((raw) => {
      const identity = raw.identity as Record<string, unknown>;
      identity.apiThrottle = { rateLimit: 7, burstLimit: 9 };
      identity.wafRateLimit = 2500;
      identity.logRetentionDays = 30;
      identity.domainPrefix = 'acme-login';
    });
    const { template: custom } = identityFixture({ config });
    custom.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 7, ThrottlingBurstLimit: 9 })],
    });
    custom.hasResourceProperties('AWS::WAFv2::WebACL', {
      Rules: Match.arrayWith([
        Match.objectLike({ Statement: { RateBasedStatement: Match.objectLike({ Limit: 2500 }) } }),
      ]),
    });
    const retentions = Object.values(custom.findResources('AWS::Logs::LogGroup')).map(
      (group) => group.Properties.RetentionInDays,
    );
    expect(retentions.length).toBeGreaterThan(0);
    expect(new Set(retentions)).toEqual(new Set([30]));
    custom.hasResourceProperties('AWS::Cognito::UserPoolDomain', { Domain: 'acme-login' });
  });
});
