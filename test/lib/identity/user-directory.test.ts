import { Match } from 'aws-cdk-lib/assertions';
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

  test('allows the authorization code grant only, with openid, email and profile, against the configured URLs', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthScopes: ['openid', 'email', 'profile'],
      CallbackURLs: config.identity.callbackUrls,
      LogoutURLs: config.identity.logoutUrls,
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

  test('may write only the email (verified first) and the names', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      WriteAttributes: ['email', 'family_name', 'given_name'],
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
