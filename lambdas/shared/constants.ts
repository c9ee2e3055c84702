/**
 * Names that several deployables must agree on. The stacks live in different
 * accounts, so they cannot pass references to each other: they meet on these
 * fixed names instead, and the Lambdas use the same names at run time.
 */

/** IAM role in the security account that alone may write audit events to the logging account. */
export const AUDIT_WRITER_ROLE_NAME = 'staxid-audit-writer';

/** IAM role in the security account that alone may read audit events in the logging account (audit query). */
export const AUDIT_READER_ROLE_NAME = 'staxid-audit-reader';

/** IAM role in the security account that alone may assume `staxid-automation-role` in member accounts. */
export const DEPLOYER_ROLE_NAME = 'staxid-deployer';

/** KMS alias of the audit bucket's key, in the logging account. */
export const AUDIT_KEY_ALIAS = 'alias/staxid-audit';

/** The prefix under which audit events are written, in the bucket and under `$STAXID_HOME/audit/`. */
export const AUDIT_EVENTS_PREFIX = 'events/';

/** Name of the IAM SAML provider in every member account. */
export const SAML_PROVIDER_NAME = 'staxid';

/** The AWS sign-in SAML endpoint: the Recipient of every assertion and the `SAML:aud` of every role. */
export const AWS_SAML_SIGNIN_URL = 'https://signin.aws.amazon.com/saml';

/** Built-in roles in every member account, by the Stax access level that reaches them. */
export const BUILTIN_ROLE_NAMES = {
  admin: 'staxid-admin-role',
  developer: 'staxid-developer-role',
  readonly: 'staxid-readonly-role',
} as const;

export type AccessLevel = keyof typeof BUILTIN_ROLE_NAMES;

/** Role in every member account through which staxid deploys permission sets and revokes sessions. */
export const AUTOMATION_ROLE_NAME = 'staxid-automation-role';

/**
 * Read-only role in every member account: only `cloudtrail:LookupEvents`, assumable only by
 * `staxid-audit-reader`, through which the audit query corroborates sign-ins (ADR 0014).
 */
export const CLOUDTRAIL_READER_ROLE_NAME = 'staxid-cloudtrail-reader';

/** The audit bucket's name: one per logging account and region, so the writer can address it without a lookup. */
export function auditBucketName(loggingAccountId: string, region: string): string {
  return `staxid-audit-${loggingAccountId}-${region}`;
}

export function roleArn(partition: string, accountId: string, roleName: string): string {
  return `arn:${partition}:iam::${accountId}:role/${roleName}`;
}

export function samlProviderArn(partition: string, accountId: string): string {
  return `arn:${partition}:iam::${accountId}:saml-provider/${SAML_PROVIDER_NAME}`;
}

/**
 * IAM path of every role staxid creates for a permission set in a member account. The
 * automation role may manage roles under this path only (docs/decisions/0004), so create
 * them with `Path: PERMISSION_SET_ROLE_PATH`; their ARNs are `role/staxid/<name>`.
 */
export const PERMISSION_SET_ROLE_PATH = '/staxid/';

/** Environment variable that tells a handler the name of staxid's DynamoDB table (set by the stack and the local runtime). */
export const TABLE_NAME_ENV = 'STAXID_TABLE_NAME';

/**
 * The header the console distribution's viewer-request function sets to the viewer's IP
 * address, replacing any value the viewer sent (ADR 0019). Behind CloudFront the API's own
 * source IP is an edge address; this one names the viewer. A request sent straight to the
 * API can claim any value: the WAF trusts it only with the edge secret, and the audit trail
 * records it beside the source IP as the address the request claims, never instead of it.
 */
export const VIEWER_IP_HEADER = 'x-staxid-viewer-ip';

// ---- API tokens and the service's own JWTs (lambdas/tokens, lambdas/auth) ----------------

/**
 * The issuer URL of staxid's own access tokens: the API's base URL (in AWS
 * `https://<apiId>.execute-api.<region>.amazonaws.com/v1`, or the custom domain), so that
 * `<issuer>/.well-known/openid-configuration` and `<issuer>/oauth2/token` are its routes.
 */
export const TOKEN_ISSUER_ENV = 'STAXID_TOKEN_ISSUER';

/** ARN of the KMS key (ECC_NIST_P256, SIGN_VERIFY) that signs staxid's access tokens. */
export const TOKEN_SIGNING_KEY_ENV = 'STAXID_TOKEN_SIGNING_KEY_ID';

/** ARN of the KMS key (HMAC_256, GENERATE_VERIFY_MAC) that hashes API token secrets. */
export const TOKEN_HASH_KEY_ENV = 'STAXID_TOKEN_HASH_KEY_ID';

/** Local mode only: the directory (`$STAXID_HOME/keys`) holding the stand-ins for both KMS keys. */
export const LOCAL_KEYS_DIR_ENV = 'STAXID_LOCAL_KEYS_DIR';

// ---- Accounts, discovery and public config ------------------------------------------------
// Environment variables of the account, discovery and public-config functions (owned by the
// groups/accounts domain; the Identity stack and local/service.ts set them).

/** The installation's special accounts, by 12-digit id; discovery gives them their `AccountRole`. */
export const ACCOUNT_ROLE_ENV = {
  management: 'STAXID_MANAGEMENT_ACCOUNT_ID',
  security: 'STAXID_SECURITY_ACCOUNT_ID',
  logging: 'STAXID_LOGGING_ACCOUNT_ID',
} as const;

/**
 * Where DiscoverAccounts reads the organization's accounts. In AWS: the ARN of a role in the
 * management account allowed `organizations:ListAccounts` (assumed with STS). Locally: a
 * simulated organization, from a JSON file or inline JSON (see local/organization.ts).
 */
export const ORGANIZATION_ENV = {
  roleArn: 'STAXID_ORGANIZATIONS_ROLE_ARN',
  /** @default us-east-1 (the Organizations endpoint of the aws partition) */
  region: 'STAXID_ORGANIZATIONS_REGION',
  simulatedFile: 'STAXID_ORGANIZATION_FILE',
  simulatedJson: 'STAXID_SIMULATED_ORGANIZATION',
} as const;

/** Suggested name of the ListAccounts role in the management account (`ORGANIZATION_ENV.roleArn` names it). */
export const ORGANIZATIONS_READER_ROLE_NAME = 'staxid-organizations-reader';

/**
 * Base URL of the staxid web console; every Account's `AWSLoginURLs` point into it as
 * `<base>/#/sign-in?account=<awsAccountId>&role=<roleName>`. Without it the API URL is used.
 */
export const CONSOLE_URL_ENV = 'STAXID_CONSOLE_URL';

/** Values GET /20190206/public/config reports (public.ReadConfig). */
export const PUBLIC_CONFIG_ENV = {
  /** The API's base URL, e.g. `https://api.staxid.example.com` (no trailing slash). */
  apiUrl: 'STAXID_API_URL',
  userPoolId: 'STAXID_USER_POOL_ID',
  userPoolClientId: 'STAXID_USER_POOL_CLIENT_ID',
  /** @default '' (staxid uses no Cognito identity pool) */
  identityPoolId: 'STAXID_IDENTITY_POOL_ID',
  /** The Cognito hosted UI's base URL, published for `staxid login --browser`. @default none */
  hostedUiUrl: 'STAXID_HOSTED_UI_URL',
} as const;

// ---- Users and the user directory (lambdas/users, lambdas/shared/directory.ts) -----------

/**
 * The Cognito user pool id of the user directory (the same variable public config reports;
 * see PUBLIC_CONFIG_ENV). A local user's Cognito username is their staxid user id.
 */
export const USER_POOL_ID_ENV = 'STAXID_USER_POOL_ID';

/**
 * Local mode only: the directory (`$STAXID_HOME/outbox`) where invitations and password
 * resets are written as `<messageId>.json` (`To`, `Subject`, `TemporaryPassword`), because
 * cognito-local sends no mail. Never set in AWS, where Cognito emails them itself.
 */
export const OUTBOX_DIR_ENV = 'STAXID_OUTBOX_DIR';

// ---- Cross-account: reading the organization ----------------------------------------------

/**
 * Fixed name of the execution role of the DiscoverAccounts function in the security
 * account: the management account's `staxid-organizations-reader` trusts exactly this role.
 */
export const ACCOUNT_DISCOVERY_ROLE_NAME = 'staxid-account-discovery';
