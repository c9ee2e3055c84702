import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import cdkJson from '@/cdk.json';
import { StaxidFunction } from '@/lib/identity/staxid-function';
import { CLI_CALLBACK_URL, UserDirectory } from '@/lib/identity/user-directory';
import { exampleConfig } from '@/test/support/config';
import { identityFixture, logicalIdOf } from './identity-fixture';

const { template, config } = identityFixture();

describe('UserDirectory user pool', () => {
  test('admits no self sign-up; usernames are staxid ids, people sign in by case-insensitive email', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      AliasAttributes: ['email'],
      UsernameAttributes: Match.absent(),
      UsernameConfiguration: { CaseSensitive: false },
      AutoVerifiedAttributes: ['email'],
      UserAttributeUpdateSettings: { AttributesRequireVerificationBeforeUpdate: ['email'] },
    });
  });

  test('requires 14+ character passwords with upper, lower, digit and symbol; temporary passwords last one day', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      Policies: {
        PasswordPolicy: {
          MinimumLength: 14,
          RequireUppercase: true,
          RequireLowercase: true,
          RequireNumbers: true,
          RequireSymbols: true,
          TemporaryPasswordValidityDays: 1,
          PasswordHistorySize: 5,
        },
      },
    });
  });

  test('is on the Plus plan with full threat protection for standard and custom auth', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      UserPoolTier: 'PLUS',
      UserPoolAddOns: {
        AdvancedSecurityMode: 'ENFORCED',
        AdvancedSecurityAdditionalFlows: { CustomAuthMode: 'ENFORCED' },
      },
    });
  });

  test('offers optional TOTP MFA only, and recovery by email only', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      MfaConfiguration: 'OPTIONAL',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      AccountRecoverySetting: { RecoveryMechanisms: [{ Name: 'verified_email', Priority: 1 }] },
    });
  });

  test('is deletion-protected and retained', () => {
    template.hasResource('AWS::Cognito::UserPool', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({ DeletionProtection: 'ACTIVE' }),
    });
  });
});

describe('UserDirectory hosted domain', () => {
  test('uses the configured prefix', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', {
      Domain: config.identity.domainPrefix,
      UserPoolId: { Ref: logicalIdOf(template, 'AWS::Cognito::UserPool') },
    });
  });
});

describe('UserDirectory console client', () => {
  test('is a public client: no secret', () => {
    template.resourceCountIs('AWS::Cognito::UserPoolClient', 1);
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', { GenerateSecret: false });
  });

  test('allows the authorization code grant only, with openid, email and profile, against the configured URLs and the console page', () => {
    // The console's page at the distribution's domain (test/lib/console-hosting.test.ts).
    const consolePage = { 'Fn::Join': ['', ['https://', Match.anyValue(), '/console/']] };
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthScopes: ['openid', 'email', 'profile'],
      CallbackURLs: [...config.identity.callbackUrls, consolePage, CLI_CALLBACK_URL],
      LogoutURLs: [...config.identity.logoutUrls, consolePage],
      SupportedIdentityProviders: ['COGNITO'],
    });
  });

  test('allows SRP and password sign-in (the CLI), refresh through rotation, not REFRESH_TOKEN_AUTH', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_USER_SRP_AUTH'],
      RefreshTokenRotation: { Feature: 'ENABLED', RetryGracePeriodSeconds: 10 },
    });
  });

  test('hides whether a user exists and can revoke tokens', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      PreventUserExistenceErrors: 'ENABLED',
      EnableTokenRevocation: true,
    });
  });

  test('issues 1-hour access and ID tokens and 12-hour refresh tokens', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      AccessTokenValidity: 60,
      IdTokenValidity: 60,
      RefreshTokenValidity: 720,
      TokenValidityUnits: { AccessToken: 'minutes', IdToken: 'minutes', RefreshToken: 'minutes' },
    });
  });

  test('without identity providers, a user can write only their email (verified first) through the client', () => {
    // Not an empty list: Cognito reads that as every standard attribute.
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      WriteAttributes: ['email'],
      ReadAttributes: ['email', 'email_verified', 'family_name', 'given_name'],
    });
  });
});

describe('UserDirectory sign-in trigger', () => {
  test('runs the post-authentication function after every sign-in, and lets Cognito invoke it', () => {
    const fnId = logicalIdOf(template, 'AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('post-authentication'),
    });
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      LambdaConfig: { PostAuthentication: { 'Fn::GetAtt': [fnId, 'Arn'] } },
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [fnId, 'Arn'] },
      Principal: 'cognito-idp.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [logicalIdOf(template, 'AWS::Cognito::UserPool'), 'Arn'] },
    });
  });

  test('the trigger may use the table (audit events go to its outbox), and knows nothing of the pool', () => {
    const functions = template.findResources('AWS::Lambda::Function', {
      Properties: { Description: Match.stringLikeRegexp('post-authentication') },
    });
    const [fn] = Object.values(functions);
    const env = (fn?.Properties?.Environment?.Variables ?? {}) as Record<string, unknown>;
    expect(env).toMatchObject({ STAXID_TABLE_NAME: expect.anything() });
    expect(env).not.toHaveProperty('STAXID_AUDIT_BUCKET');
    expect(JSON.stringify(env)).not.toContain(logicalIdOf(template, 'AWS::Cognito::UserPool'));
  });
});

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:222222222222:secret:staxid/entra-oidc-AbCdEf';

/** The example configuration with a SAML provider by metadata file, one by URL and an OIDC provider. */
function federatedConfig() {
  return exampleConfig((raw) => {
    (raw.identity as Record<string, unknown>).federation = {
      providers: [
        {
          name: 'AcmeSAML',
          type: 'SAML',
          metadataFile: 'config/example-saml-metadata.xml',
          maxRole: 'customer_admin',
          linkScimUsers: true,
        },
        {
          name: 'Ping-Fed',
          type: 'SAML',
          metadataUrl: 'https://ping.acme.example/metadata.xml',
          attributes: { email: 'mail', role: 'urn:acme:StaxRole', groups: 'memberOf' },
          allowRoleAttribute: true,
          maxRole: 'customer_user',
        },
        {
          name: 'EntraID',
          type: 'OIDC',
          issuer: 'https://login.microsoftonline.com/tenant/v2.0',
          clientId: 'entra-client',
          clientSecretArn: SECRET_ARN,
          maxRole: 'customer_readonly',
        },
      ],
      roleMapping: { 'staxid-admins': 'customer_admin' },
    };
  });
}

/** A UserDirectory with federation and both triggers, alone in a stack, with the AwsSolutions checks. */
function federatedDirectory() {
  const outdir = mkdtempSync(join(tmpdir(), 'staxid-directory-'));
  const app = new App({ outdir, context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
  const config = federatedConfig();
  const stack = new Stack(app, 'Directory', {
    env: { account: config.accounts.security, region: config.region },
  });
  const trigger = (id: string, entry: string) =>
    new StaxidFunction(stack, id, { entry, logRetention: RetentionDays.ONE_YEAR, description: entry });
  new UserDirectory(stack, 'Directory', {
    domainPrefix: config.identity.domainPrefix,
    callbackUrls: config.identity.callbackUrls,
    logoutUrls: config.identity.logoutUrls,
    postAuthentication: trigger('PostAuthentication', 'lambdas/triggers/post-authentication.ts'),
    preTokenGeneration: trigger('PreTokenGeneration', 'lambdas/triggers/pre-token-generation.ts'),
    ...(config.identity.federation && { federation: config.identity.federation }),
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, outdir };
}

describe('UserDirectory with federation', () => {
  const directory = federatedDirectory();
  const federated = Template.fromStack(directory.stack);
  afterAll(() => rmSync(directory.outdir, { recursive: true, force: true }));

  test('creates a SAML provider from the metadata file read at synth, with the attribute mapping (no role: not allowed)', () => {
    federated.hasResourceProperties('AWS::Cognito::UserPoolIdentityProvider', {
      ProviderName: 'AcmeSAML',
      ProviderType: 'SAML',
      ProviderDetails: { MetadataFile: Match.stringLikeRegexp('IDPSSODescriptor') },
      AttributeMapping: {
        email: 'email',
        given_name: 'given_name',
        family_name: 'family_name',
        'custom:idp_groups': 'groups',
      },
    });
  });

  test("maps an OIDC provider's email_verified claim, and no role attribute it is not allowed to send", () => {
    federated.hasResourceProperties('AWS::Cognito::UserPoolIdentityProvider', {
      ProviderName: 'EntraID',
      AttributeMapping: {
        email: 'email',
        given_name: 'given_name',
        family_name: 'family_name',
        'custom:idp_groups': 'groups',
        'custom:idp_email_verified': 'email_verified',
      },
    });
  });

  test('the console client may write only what the providers map', () => {
    federated.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      WriteAttributes: [
        'custom:idp_email_verified',
        'custom:idp_groups',
        'custom:stax_role',
        'email',
        'family_name',
        'given_name',
      ],
      ReadAttributes: ['email', 'email_verified', 'family_name', 'given_name'],
    });
  });

  test('passes a SAML metadata URL through for Cognito to fetch', () => {
    federated.hasResourceProperties('AWS::Cognito::UserPoolIdentityProvider', {
      ProviderName: 'Ping-Fed',
      ProviderDetails: { MetadataURL: 'https://ping.acme.example/metadata.xml' },
      AttributeMapping: Match.objectLike({
        email: 'mail',
        'custom:stax_role': 'urn:acme:StaxRole',
        'custom:idp_groups': 'memberOf',
      }),
    });
  });

  test('creates the OIDC provider with its client secret as a Secrets Manager dynamic reference', () => {
    federated.hasResourceProperties('AWS::Cognito::UserPoolIdentityProvider', {
      ProviderName: 'EntraID',
      ProviderType: 'OIDC',
      ProviderDetails: {
        client_id: 'entra-client',
        client_secret: `{{resolve:secretsmanager:${SECRET_ARN}:SecretString:::}}`,
        oidc_issuer: 'https://login.microsoftonline.com/tenant/v2.0',
        authorize_scopes: 'openid email profile',
        attributes_request_method: 'GET',
      },
    });
  });

  test('the console client offers the pool and every provider (by reference: created after them)', () => {
    const providerId = (name: string) =>
      logicalIdOf(federated, 'AWS::Cognito::UserPoolIdentityProvider', { ProviderName: name });
    federated.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      SupportedIdentityProviders: [
        'COGNITO',
        { Ref: providerId('AcmeSAML') },
        { Ref: providerId('Ping-Fed') },
        { Ref: providerId('EntraID') },
      ],
    });
  });

  test('the pool has the custom attributes the providers map', () => {
    federated.hasResourceProperties('AWS::Cognito::UserPool', {
      Schema: Match.arrayWith([
        Match.objectLike({ Name: 'stax_role', AttributeDataType: 'String', Mutable: true }),
        Match.objectLike({ Name: 'idp_groups', AttributeDataType: 'String', Mutable: true }),
        Match.objectLike({ Name: 'idp_email_verified', AttributeDataType: 'String', Mutable: true }),
      ]),
    });
  });

  test('attaches the pre-token-generation trigger with event version V2_0, and lets Cognito invoke it', () => {
    const fnId = logicalIdOf(federated, 'AWS::Lambda::Function', {
      Description: 'lambdas/triggers/pre-token-generation.ts',
    });
    federated.hasResourceProperties('AWS::Cognito::UserPool', {
      LambdaConfig: Match.objectLike({
        PreTokenGenerationConfig: { LambdaArn: { 'Fn::GetAtt': [fnId, 'Arn'] }, LambdaVersion: 'V2_0' },
      }),
    });
    federated.hasResourceProperties('AWS::Lambda::Permission', {
      FunctionName: { 'Fn::GetAtt': [fnId, 'Arn'] },
      Principal: 'cognito-idp.amazonaws.com',
    });
  });

  test('is clean under cdk-nag AwsSolutions', () => {
    directory.app.synth();
    const report = JSON.parse(readFileSync(join(directory.outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: { pluginName: string; violations: { ruleName: string; severity: string }[] }[];
    };
    const findings = report.pluginReports
      .filter((plugin) => plugin.pluginName === 'AwsSolutions')
      .flatMap((plugin) =>
        plugin.violations.map((violation) => `${violation.severity} ${violation.ruleName}`),
      );
    expect(findings).toEqual([]);
  });
});
