import { Duration, RemovalPolicy, SecretValue, Stack, Validations } from 'aws-cdk-lib';
import {
  AccountRecovery,
  type AttributeMapping,
  ClientAttributes,
  CustomThreatProtectionMode,
  FeaturePlan,
  type IUserPoolIdentityProvider,
  LambdaVersion,
  Mfa,
  OAuthScope,
  OidcAttributeRequestMethod,
  ProviderAttribute,
  StandardThreatProtectionMode,
  StringAttribute,
  UserPool,
  type UserPoolClient,
  UserPoolClientIdentityProvider,
  type UserPoolDomain,
  UserPoolIdentityProviderOidc,
  UserPoolIdentityProviderSaml,
  UserPoolIdentityProviderSamlMetadata,
  UserPoolOperation,
} from 'aws-cdk-lib/aws-cognito';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { FEDERATED_ATTRIBUTES } from '@/lambdas/triggers/federation';
import type { FederationConfig, IdentityProviderConfig } from '@/lib/config';

export interface UserDirectoryProps {
  /** Prefix of the Cognito-hosted domain, `<prefix>.auth.<region>.amazoncognito.com`. */
  readonly domainPrefix: string;
  /** Where the hosted UI may send the console back with an authorization code. */
  readonly callbackUrls: readonly string[];
  /** Where the hosted UI may send the console after sign-out. */
  readonly logoutUrls: readonly string[];
  /**
   * The origin the console is served from in AWS, `https://<console domain>` (ADR 0019):
   * its `/console/` page is added to the callback and sign-out URLs.
   * @default - only the configured URLs
   */
  readonly consoleOrigin?: string;
  /**
   * The post-authentication trigger: decides from the user item whether a sign-in goes
   * ahead and activates invited users. It must not reference the pool (a cycle).
   * @default - no trigger
   */
  readonly postAuthentication?: IFunction;
  /**
   * The pre-token-generation trigger (event V2_0): adds the staxid claims to ID and access
   * tokens and refuses tokens to users who are not ACTIVE. It must not reference the pool.
   * @default - no trigger
   */
  readonly preTokenGeneration?: IFunction;
  /**
   * Corporate identity providers (SAML, OIDC) people may sign in through, offered by the
   * hosted UI and the console client (ADR 0016).
   * @default - none: local users only
   */
  readonly federation?: FederationConfig;
}

/** The custom attributes the providers' attribute mappings fill, without Cognito's `custom:` prefix. */
const CUSTOM_ATTRIBUTE = {
  role: FEDERATED_ATTRIBUTES.role.replace(/^custom:/, ''),
  groups: FEDERATED_ATTRIBUTES.groups.replace(/^custom:/, ''),
  emailVerified: FEDERATED_ATTRIBUTES.emailVerified.replace(/^custom:/, ''),
} as const;

/**
 * What the console client may write (security review 2026-12-01): the required `email`, and
 * the attributes the configured providers map, because Cognito writes mapped attributes
 * through the client at every federated sign-in and refuses the sign-in if it may not; the
 * role attribute only when a provider may send a role. Never an empty list: Cognito reads it
 * as "every standard attribute". People change their names through the staxid API.
 */
function clientWriteAttributes(federation: FederationConfig | undefined): ClientAttributes {
  const providers = federation?.providers ?? [];
  if (providers.length === 0) return new ClientAttributes().withStandardAttributes({ email: true });
  const custom = [
    CUSTOM_ATTRIBUTE.groups,
    ...(providers.some((provider) => provider.allowRoleAttribute) ? [CUSTOM_ATTRIBUTE.role] : []),
    ...(providers.some((provider) => provider.type === 'OIDC') ? [CUSTOM_ATTRIBUTE.emailVerified] : []),
  ];
  return new ClientAttributes()
    .withStandardAttributes({ email: true, givenName: true, familyName: true })
    .withCustomAttributes(...custom);
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

/** Where `staxid login --browser` listens for the hosted UI's redirect (cli/browser-login.ts). */
export const CLI_CALLBACK_URL = 'http://localhost:28415/callback';

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
  /** The configured SAML and OIDC identity providers, in configuration order. */
  readonly identityProviders: readonly IUserPoolIdentityProvider[];

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
      // Filled from the IdP at every federated sign-in; read by the sign-in trigger for federated users only.
      customAttributes: {
        [CUSTOM_ATTRIBUTE.role]: new StringAttribute({ minLen: 0, maxLen: 64, mutable: true }),
        [CUSTOM_ATTRIBUTE.groups]: new StringAttribute({ minLen: 0, maxLen: 2048, mutable: true }),
        [CUSTOM_ATTRIBUTE.emailVerified]: new StringAttribute({ minLen: 0, maxLen: 8, mutable: true }),
      },
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
    if (props.preTokenGeneration) {
      // V2_0 customizes access tokens too; the Plus feature plan (above) allows it.
      this.userPool.addTrigger(
        UserPoolOperation.PRE_TOKEN_GENERATION_CONFIG,
        props.preTokenGeneration,
        LambdaVersion.V2_0,
      );
    }
    this.identityProviders = (props.federation?.providers ?? []).map((provider) =>
      this.addIdentityProvider(provider),
    );

    this.domain = this.userPool.addDomain('HostedDomain', {
      cognitoDomain: { domainPrefix: props.domainPrefix },
    });

    // The console's hosted-UI sign-in returns to its own page, and so does its sign-out.
    const consolePage = props.consoleOrigin === undefined ? [] : [`${props.consoleOrigin}/console/`];
    this.userPoolClient = this.userPool.addClient('ConsoleClient', {
      userPoolClientName: 'staxid-console',
      generateSecret: false,
      // USER_PASSWORD_AUTH for the staxid CLI (`staxid login --username`, docs/cli.md); over TLS, with threat protection.
      authFlows: { userSrp: true, userPassword: true },
      oAuth: {
        flows: { authorizationCodeGrant: true, implicitCodeGrant: false, clientCredentials: false },
        scopes: [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE],
        // The staxid CLI's loopback redirect (`staxid login --browser`, RFC 8252 §7.3): Cognito
        // matches callback URLs exactly, port included (cli/browser-login.ts DEFAULT_CALLBACK_PORT).
        callbackUrls: [...props.callbackUrls, ...consolePage, CLI_CALLBACK_URL],
        logoutUrls: [...props.logoutUrls, ...consolePage],
      },
      supportedIdentityProviders: [
        UserPoolClientIdentityProvider.COGNITO,
        ...this.identityProviders.map((provider) =>
          UserPoolClientIdentityProvider.custom(provider.providerName),
        ),
      ],
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      accessTokenValidity: CONSOLE_TOKEN_VALIDITY.access,
      idTokenValidity: CONSOLE_TOKEN_VALIDITY.id,
      refreshTokenValidity: CONSOLE_TOKEN_VALIDITY.refresh,
      refreshTokenRotationGracePeriod: CONSOLE_TOKEN_VALIDITY.refreshRotationGrace,
      // The custom attributes are staxid's, not the person's: not readable through the client.
      readAttributes: new ClientAttributes().withStandardAttributes({
        email: true,
        emailVerified: true,
        givenName: true,
        familyName: true,
      }),
      // Only what the providers map (Cognito needs it); keepOriginal (above) keeps a changed
      // address from taking effect before it is verified.
      writeAttributes: clientWriteAttributes(props.federation),
    });

    const stack = Stack.of(this);
    this.issuerUrl = `https://cognito-idp.${stack.region}.${stack.urlSuffix}/${this.userPool.userPoolId}`;
  }

  private addIdentityProvider(provider: IdentityProviderConfig): IUserPoolIdentityProvider {
    const id = `Idp${provider.name.replace(/[^A-Za-z0-9]/g, '')}`;
    const attributeMapping: AttributeMapping = {
      email: ProviderAttribute.other(provider.attributes.email),
      givenName: ProviderAttribute.other(provider.attributes.givenName),
      familyName: ProviderAttribute.other(provider.attributes.familyName),
      // Keys of `custom` are pool attribute names as they are, prefix included. The role only
      // for a provider allowed to send one, so that no other can even store it.
      custom: {
        ...(provider.allowRoleAttribute && {
          [FEDERATED_ATTRIBUTES.role]: ProviderAttribute.other(provider.attributes.role),
        }),
        [FEDERATED_ATTRIBUTES.groups]: ProviderAttribute.other(provider.attributes.groups),
        // The OIDC standard claim: a first sign-in with an unverified email is refused.
        ...(provider.type === 'OIDC' && {
          [FEDERATED_ATTRIBUTES.emailVerified]: ProviderAttribute.other('email_verified'),
        }),
      },
    };
    if (provider.type === 'OIDC') {
      return new UserPoolIdentityProviderOidc(this, id, {
        userPool: this.userPool,
        name: provider.name,
        issuerUrl: provider.issuer,
        clientId: provider.clientId,
        // A CloudFormation dynamic reference: resolved by CloudFormation, never in the template.
        clientSecret: SecretValue.secretsManager(provider.clientSecretArn).unsafeUnwrap(),
        scopes: [...provider.scopes],
        attributeRequestMethod: OidcAttributeRequestMethod.GET,
        attributeMapping,
      });
    }
    // A metadata file is read at synth (offline); a URL is fetched by Cognito at deploy.
    const metadata =
      provider.metadataDocument !== undefined
        ? UserPoolIdentityProviderSamlMetadata.file(provider.metadataDocument)
        : UserPoolIdentityProviderSamlMetadata.url(provider.metadataUrl ?? '');
    return new UserPoolIdentityProviderSaml(this, id, {
      userPool: this.userPool,
      name: provider.name,
      metadata,
      attributeMapping,
    });
  }
}
