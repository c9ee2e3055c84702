import {
  CfnOutput,
  CustomResource,
  Duration,
  type NestedStack,
  RemovalPolicy,
  Stack,
  type StackProps,
} from 'aws-cdk-lib';
import type { RestApi, TokenAuthorizer } from 'aws-cdk-lib/aws-apigateway';
import type { UserPool, UserPoolClient } from 'aws-cdk-lib/aws-cognito';
import type { TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Key, KeySpec, KeyUsage } from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { ROUTES, type RouteDefinition } from '@/lambdas/routes';
import { ACCOUNT_DISCOVERY_ROLE_NAME } from '@/lambdas/shared/constants';
import { FEDERATION_ROLES_ENV, federationRolesEnvValue } from '@/lambdas/triggers/federation';
import type { StaxidConfig } from '@/lib/config';
import { ApiWebAcl } from '@/lib/identity/api-web-acl';
import { AuditOutboxShipper } from '@/lib/identity/audit-outbox-shipper';
import { ConsoleHosting, hostedUiUrl } from '@/lib/identity/console-hosting';
import { API_STAGE_NAME, IdentityApi } from '@/lib/identity/identity-api';
import { IdentityTable } from '@/lib/identity/identity-table';
import { PermissionSetDeployment } from '@/lib/identity/permission-set-deployment';
import { SessionRevocation } from '@/lib/identity/revocation';
import {
  applyAuthorizerGrants,
  applyRouteGrants,
  grantSamlCertificateResource,
  type RouteGrantResources,
} from '@/lib/identity/route-grants';
import { AuditReaderRole, AuditWriterRole, DeployerRole } from '@/lib/identity/service-roles';
import { StaxidFunction } from '@/lib/identity/staxid-function';
import { UserDirectory } from '@/lib/identity/user-directory';

/** The handler file of the Cognito post-authentication trigger, relative to the repository root. */
export const POST_AUTHENTICATION_HANDLER = 'lambdas/triggers/post-authentication.ts';
export const PRE_TOKEN_GENERATION_HANDLER = 'lambdas/triggers/pre-token-generation.ts';

/** Alias of the KMS key that signs the service's own JWTs (API tokens, ES256). */
export const TOKEN_SIGNING_KEY_ALIAS = 'alias/staxid-token-signing';
/** Alias of the KMS key that signs SAML responses to AWS sign-in (RSA-SHA256). */
export const SAML_SIGNING_KEY_ALIAS = 'alias/staxid-saml-signing';
/** Alias of the KMS HMAC key that hashes API token secrets (only the hash is stored). */
export const TOKEN_HASH_KEY_ALIAS = 'alias/staxid-token-hashing';

export interface IdentityStackProps extends StackProps {
  /** The validated staxid configuration. */
  readonly config: StaxidConfig;
  /**
   * The routes the API serves.
   * @default ROUTES from lambdas/routes.ts
   */
  readonly routes?: readonly RouteDefinition[];
}

/**
 * The identity service in the security account: the Cognito user pool, the REST API and
 * its functions behind WAF, the table, the signing keys, and the two roles through which
 * staxid reaches other accounts (audit writer, deployer).
 */
export class IdentityStack extends Stack {
  readonly table: TableV2;
  readonly userPool: UserPool;
  readonly userPoolClient: UserPoolClient;
  readonly api: RestApi;
  /** Signs the service's own access tokens: ECDSA P-256 (ES256). */
  readonly tokenSigningKey: Key;
  /** Signs SAML responses for AWS sign-in: RSA 2048. */
  readonly samlSigningKey: Key;
  /** Hashes API token secrets: HMAC-SHA-256, the key never leaves KMS. */
  readonly tokenHashKey: Key;
  readonly auditWriterRole: AuditWriterRole;
  readonly deployerRole: DeployerRole;
  /** Revokes disabled users' AWS sessions in member accounts (ADR 0013). */
  readonly sessionRevocation: SessionRevocation;
  /** Deploys permission-set roles into member accounts (ADR 0018). */
  readonly permissionSetDeployment: PermissionSetDeployment;
  /** `staxid-audit-reader`: assumed by the audit query function only. */
  readonly auditReaderRole: AuditReaderRole;
  /** Every function, by handler file (relative to the repository root). */
  readonly functions: ReadonlyMap<string, StaxidFunction>;
  readonly authorizer: TokenAuthorizer;
  /** Delivers the audit outbox to the Audit bucket. */
  readonly auditShipper: AuditOutboxShipper;
  /** The user pool's pre-token-generation trigger: the staxid claims (ADR 0016). */
  readonly preTokenGenerationFunction: StaxidFunction;
  /** The user pool's post-authentication trigger (not behind the API, so not in `functions`). */
  readonly postAuthenticationFunction: StaxidFunction;
  /** The console's S3 bucket and CloudFront distribution, in front of the API too (ADR 0019). */
  readonly console: ConsoleHosting;
  /** The nested stack that writes the console's `config.json`. */
  readonly consoleConfig: NestedStack;

  constructor(scope: Construct, id: string, props: IdentityStackProps) {
    super(scope, id, props);
    const { config } = props;
    const identity = config.identity;

    this.table = new IdentityTable(this, 'Data').table;

    // Sign-in decisions from the user item. It is given no reference to the pool, which
    // references it: that would be a cycle.
    this.postAuthenticationFunction = new StaxidFunction(this, 'PostAuthentication', {
      entry: POST_AUTHENTICATION_HANDLER,
      logRetention: identity.logRetentionDays,
      description: `staxid: ${POST_AUTHENTICATION_HANDLER} (Cognito post-authentication trigger)`,
      // Cognito waits at most 5 s for a trigger.
      timeout: Duration.seconds(5),
      // How federated users' IdP groups map to Stax roles, and what each provider is trusted
      // with (ADR 0016).
      environment: {
        [FEDERATION_ROLES_ENV]: federationRolesEnvValue(identity.federation),
      },
    });
    this.postAuthenticationFunction.grantTable(this.table, 'readWrite');
    // Adds the staxid claims to tokens; reads only. No reference to the pool either (a cycle).
    this.preTokenGenerationFunction = new StaxidFunction(this, 'PreTokenGeneration', {
      entry: PRE_TOKEN_GENERATION_HANDLER,
      logRetention: identity.logRetentionDays,
      description: `staxid: ${PRE_TOKEN_GENERATION_HANDLER} (Cognito pre-token-generation trigger)`,
      timeout: Duration.seconds(5),
    });
    this.preTokenGenerationFunction.grantTable(this.table, 'read');

    // The console's origin (ADR 0019), in nested stacks: this stack is near the 500-resource limit.
    const hostedUi = hostedUiUrl(identity.domainPrefix, this.region);
    this.console = new ConsoleHosting(this, 'Console', {
      hostedUiUrl: hostedUi,
      logRetentionDays: identity.logRetentionDays,
      ...(identity.console && { domain: identity.console }),
    });

    const directory = new UserDirectory(this, 'Directory', {
      domainPrefix: identity.domainPrefix,
      callbackUrls: identity.callbackUrls,
      logoutUrls: identity.logoutUrls,
      consoleOrigin: this.console.origin,
      postAuthentication: this.postAuthenticationFunction,
      preTokenGeneration: this.preTokenGenerationFunction,
      ...(identity.federation && { federation: identity.federation }),
    });
    this.userPool = directory.userPool;
    this.userPoolClient = directory.userPoolClient;

    this.tokenSigningKey = signingKey(this, 'TokenSigningKey', {
      alias: TOKEN_SIGNING_KEY_ALIAS,
      keySpec: KeySpec.ECC_NIST_P256,
      description: 'staxid: signs the access tokens the service issues (ES256)',
    });
    this.samlSigningKey = signingKey(this, 'SamlSigningKey', {
      alias: SAML_SIGNING_KEY_ALIAS,
      keySpec: KeySpec.RSA_2048,
      description: 'staxid: signs SAML responses for AWS sign-in (RSA-SHA256)',
    });

    this.tokenHashKey = new Key(this, 'TokenHashKey', {
      alias: TOKEN_HASH_KEY_ALIAS,
      description: 'staxid: keyed hash of API token secrets (HMAC-SHA-256)',
      keySpec: KeySpec.HMAC_256,
      keyUsage: KeyUsage.GENERATE_VERIFY_MAC,
      pendingWindow: Duration.days(30),
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const routes = props.routes ?? ROUTES;
    const api = new IdentityApi(this, 'Api', {
      routes,
      roleNameFor: (handler) =>
        routes.some((route) => route.handler === handler && route.grants?.includes('organizations:read'))
          ? ACCOUNT_DISCOVERY_ROLE_NAME
          : undefined,
      throttlingRateLimit: identity.apiThrottle.rateLimit,
      throttlingBurstLimit: identity.apiThrottle.burstLimit,
      logRetention: identity.logRetentionDays,
      tokenSource: { issuerUrl: directory.issuerUrl, clientId: directory.userPoolClient.userPoolClientId },
    });
    this.api = api.api;
    this.functions = api.functions;
    this.authorizer = api.authorizer;
    const edgeSecret = this.console.routeApi(api.api, API_STAGE_NAME, routes);
    this.consoleConfig = this.console.writeConfig({
      mode: 'aws',
      region: this.region,
      userPoolClientId: this.userPoolClient.userPoolClientId,
      hostedUiUrl: hostedUi,
    });

    new ApiWebAcl(this, 'Firewall', {
      stage: api.api.deploymentStage,
      rateLimit: identity.wafRateLimit,
      edgeSecret,
    });

    this.auditWriterRole = new AuditWriterRole(this, 'AuditWriter', {
      loggingAccount: config.accounts.logging,
    });
    // Changes, token exchanges and Cognito sign-ins record their audit events in the table's
    // outbox; this delivers them to the Audit bucket (ADR 0010).
    this.auditShipper = new AuditOutboxShipper(this, 'AuditOutbox', {
      config,
      table: this.table,
      auditWriterRole: this.auditWriterRole,
      logRetention: identity.logRetentionDays,
    });
    this.deployerRole = new DeployerRole(this, 'Deployer', { organizationId: config.organizationId });
    // Disabling a user revokes their live AWS sessions in every member account (ADR 0013).
    this.sessionRevocation = new SessionRevocation(this, 'SessionRevocation', {
      table: this.table,
      deployerRole: this.deployerRole,
      logRetention: identity.logRetentionDays,
    });
    // Permission-set roles in member accounts, kept true by the stream and a schedule (ADR 0018).
    this.permissionSetDeployment = new PermissionSetDeployment(this, 'PermissionSetDeployment', {
      table: this.table,
      deployerRole: this.deployerRole,
      logRetention: identity.logRetentionDays,
    });
    this.auditReaderRole = new AuditReaderRole(this, 'AuditReader', {
      loggingAccount: config.accounts.logging,
    });

    // Each function gets what its routes ask for (lambdas/routes.ts `grants`), nothing more.
    const grantResources: RouteGrantResources = {
      config,
      table: this.table,
      userPool: this.userPool,
      userPoolClient: this.userPoolClient,
      tokenSigningKey: this.tokenSigningKey,
      tokenHashKey: this.tokenHashKey,
      auditWriterRole: this.auditWriterRole,
      auditReaderRole: this.auditReaderRole,
      samlSigningKey: this.samlSigningKey,
      deploymentQueue: this.permissionSetDeployment.queue,
      // From the API id, not `api.url`: a reference to the deployment would be circular.
      apiUrl: `https://${api.api.restApiId}.execute-api.${this.region}.${this.urlSuffix}/${API_STAGE_NAME}`,
    };
    for (const [handler, fn] of api.functions) {
      if (fn === api.authorizerFunction) continue;
      applyRouteGrants(
        fn,
        routes.filter((route) => route.handler === handler),
        grantResources,
      );
    }
    applyAuthorizerGrants(api.authorizerFunction, grantResources);

    // The metadata's SAML certificates, self-signed through KMS at deploy time: the public
    // metadata route reads them and cannot sign (ADR 0011, security review 2026-12-01).
    const samlCertificateFunction = new StaxidFunction(this, 'SamlCertificateFunction', {
      entry: 'lambdas/saml/certificate-resource.ts',
      description: 'staxid: lambdas/saml/certificate-resource.ts (deploy-time SAML certificates)',
      logRetention: identity.logRetentionDays,
      timeout: Duration.seconds(60),
    });
    grantSamlCertificateResource(samlCertificateFunction, grantResources);
    new CustomResource(this, 'SamlCertificate', {
      serviceToken: samlCertificateFunction.functionArn,
      resourceType: 'Custom::SamlCertificate',
      properties: { KeyId: this.samlSigningKey.keyArn },
    });

    new CfnOutput(this, 'ApiUrl', { description: 'Base URL of the staxid API', value: api.api.url });
    new CfnOutput(this, 'UserPoolId', {
      description: 'Cognito user pool id',
      value: this.userPool.userPoolId,
    });
    new CfnOutput(this, 'UserPoolClientId', {
      description: 'Console app client id',
      value: this.userPoolClient.userPoolClientId,
    });
    new CfnOutput(this, 'ConsoleUrl', {
      description: 'The staxid console',
      value: `${this.console.origin}/console/`,
    });
    new CfnOutput(this, 'HostedDomain', {
      description: 'Cognito-hosted sign-in domain',
      value: directory.domain.baseUrl(),
    });
  }
}

function signingKey(
  scope: Construct,
  id: string,
  props: { alias: string; keySpec: KeySpec; description: string },
) {
  // Asymmetric KMS keys cannot rotate automatically: rotation is a new key and a JWKS/metadata overlap.
  return new Key(scope, id, {
    alias: props.alias,
    description: props.description,
    keySpec: props.keySpec,
    keyUsage: KeyUsage.SIGN_VERIFY,
    pendingWindow: Duration.days(30),
    removalPolicy: RemovalPolicy.RETAIN,
  });
}
