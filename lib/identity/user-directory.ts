import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  AccountRecovery,
  ClientAttributes,
  CustomThreatProtectionMode,
  FeaturePlan,
  Mfa,
  OAuthScope,
  StandardThreatProtectionMode,
  UserPool,
  type UserPoolClient,
  UserPoolClientIdentityProvider,
  type UserPoolDomain,
  UserPoolOperation,
} from 'aws-cdk-lib/aws-cognito';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

export interface UserDirectoryProps {
  /** Prefix of the Cognito-hosted domain, `<prefix>.auth.<region>.amazoncognito.com`. */
  readonly domainPrefix: string;
  /** Where the hosted UI may send the console back with an authorization code. */
  readonly callbackUrls: readonly string[];
  /** Where the hosted UI may send the console after sign-out. */
  readonly logoutUrls: readonly string[];
  /**
   * The post-authentication trigger: decides from the user item whether a sign-in goes
   * ahead and activates invited users. It must not reference the pool (a cycle).
   * @default - no trigger
   */
  readonly postAuthentication?: IFunction;
}

/** Token lifetimes of the console client. */
export const CONSOLE_TOKEN_VALIDITY = {
  access: Duration.hours(1),
  id: Duration.hours(1),
  /** A working day: after it the user signs in again. */
  refresh: Duration.hours(12),
  /** How long an old refresh token still works after rotation (concurrent tabs). */
  refreshRotationGrace: Duration.seconds(10),
} as const;

/**
 * The Cognito user pool people sign in to, its hosted domain and the console app client.
 *
 * Users are created by admins (through the API) or arrive federated; nobody signs up.
 * The console is a public client (a browser app holds no secret) using the authorization
 * code grant with PKCE and rotating refresh tokens.
 */
export class UserDirectory extends Construct {
  readonly userPool: UserPool;
  readonly userPoolClient: UserPoolClient;
  readonly domain: UserPoolDomain;
  /** The issuer of the pool's tokens, `https://cognito-idp.<region>.amazonaws.com/<poolId>`. */
  readonly issuerUrl: string;

  constructor(scope: Construct, id: string, props: UserDirectoryProps) {
    super(scope, id);

    this.userPool = new UserPool(this, 'UserPool', {
      selfSignUpEnabled: false,
      // The username is the staxid user id (a uuid); people sign in with their email as an alias.
      signInAliases: { username: true, email: true },
      signInCaseSensitive: false,
      autoVerify: { email: true },
      // Until the new address is verified, sign-in and `email` keep the old one.
      keepOriginal: { email: true },
      standardAttributes: { email: { required: true, mutable: true } },
      passwordPolicy: {
        minLength: 14,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        // Cognito's minimum is one whole day; the 12-hour invitation limit is enforced by staxid itself.
        tempPasswordValidity: Duration.days(1),
        passwordHistorySize: 5,
      },
      mfa: Mfa.OPTIONAL,
      mfaSecondFactor: { sms: false, otp: true },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      featurePlan: FeaturePlan.PLUS,
      standardThreatProtectionMode: StandardThreatProtectionMode.FULL_FUNCTION,
      customThreatProtectionMode: CustomThreatProtectionMode.FULL_FUNCTION,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.userPool).acknowledge({
      id: 'AwsSolutions-COG2',
      reason:
        'MFA is optional (TOTP) by design: most people sign in through their corporate IdP, which enforces its own MFA and which Cognito cannot see; local users can enrol TOTP, and Plus-tier threat protection challenges risky sign-ins.',
    });

    if (props.postAuthentication) {
      this.userPool.addTrigger(UserPoolOperation.POST_AUTHENTICATION, props.postAuthentication);
    }

    this.domain = this.userPool.addDomain('HostedDomain', {
      cognitoDomain: { domainPrefix: props.domainPrefix },
    });

    this.userPoolClient = this.userPool.addClient('ConsoleClient', {
      userPoolClientName: 'staxid-console',
      generateSecret: false,
      // USER_PASSWORD_AUTH for the staxid CLI (`staxid login --username`, docs/cli.md); over TLS, with threat protection.
      authFlows: { userSrp: true, userPassword: true },
      oAuth: {
        flows: { authorizationCodeGrant: true, implicitCodeGrant: false, clientCredentials: false },
        scopes: [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE],
        callbackUrls: [...props.callbackUrls],
        logoutUrls: [...props.logoutUrls],
      },
      supportedIdentityProviders: [UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      accessTokenValidity: CONSOLE_TOKEN_VALIDITY.access,
      idTokenValidity: CONSOLE_TOKEN_VALIDITY.id,
      refreshTokenValidity: CONSOLE_TOKEN_VALIDITY.refresh,
      refreshTokenRotationGracePeriod: CONSOLE_TOKEN_VALIDITY.refreshRotationGrace,
      // Email must stay writable: federated IdPs map it on every sign-in, and Cognito requires
      // mapped and required attributes to be writable by the client. keepOriginal (above) keeps
      // a changed address from taking effect before it is verified.
      readAttributes: new ClientAttributes().withStandardAttributes({
        email: true,
        emailVerified: true,
        givenName: true,
        familyName: true,
      }),
      writeAttributes: new ClientAttributes().withStandardAttributes({
        email: true,
        givenName: true,
        familyName: true,
      }),
    });

    const stack = Stack.of(this);
    this.issuerUrl = `https://cognito-idp.${stack.region}.${stack.urlSuffix}/${this.userPool.userPoolId}`;
  }
}
