/**
 * Names that several deployables must agree on. The stacks live in different
 * accounts, so they cannot pass references to each other: they meet on these
 * fixed names instead, and the Lambdas use the same names at run time.
 */

/** IAM role in the security account that alone may write audit events to the logging account. */
export const AUDIT_WRITER_ROLE_NAME = 'staxid-audit-writer';

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
