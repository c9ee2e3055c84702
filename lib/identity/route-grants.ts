import { Aws, Validations } from 'aws-cdk-lib';
import type { UserPool, UserPoolClient } from 'aws-cdk-lib/aws-cognito';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { AUDIT_QUERY_ENV } from '@/lambdas/audit/query/env';
import { DEPLOYMENT_QUEUE_URL_ENV } from '@/lambdas/deployments/messages';
import type { RouteDefinition, RouteGrant } from '@/lambdas/routes';
import { SAML_CERTIFICATES_KEY } from '@/lambdas/saml/certificate-store';
import { SAML_ENV } from '@/lambdas/saml/signer';
import { AUDIT_ENV } from '@/lambdas/shared/audit';
import {
  ACCOUNT_ROLE_ENV,
  auditBucketName,
  ORGANIZATION_ENV,
  ORGANIZATIONS_READER_ROLE_NAME,
  PUBLIC_CONFIG_ENV,
  roleArn,
  TABLE_NAME_ENV,
  TOKEN_HASH_KEY_ENV,
  TOKEN_ISSUER_ENV,
  TOKEN_SIGNING_KEY_ENV,
  USER_POOL_ID_ENV,
} from '@/lambdas/shared/constants';
import { ORGANISATION_ID_ENV, organisationIdFor } from '@/lambdas/shared/ids';
import { SIGNIN_ENV } from '@/lambdas/signin/env';
import { SUPPORT_GROUP_NAME_ENV } from '@/lambdas/support/env';
import type { StaxidConfig } from '@/lib/config';
import { hostedUiUrl } from '@/lib/identity/console-hosting';
import type { AuditReaderRole, AuditWriterRole } from '@/lib/identity/service-roles';
import { grantSigning } from '@/lib/identity/signing-keys';
import type { StaxidFunction } from '@/lib/identity/staxid-function';

/**
 * Turns the `grants` of the route table into IAM permissions and environment variables,
 * so that each function can do what its routes need and nothing more.
 */

/** Cognito admin calls the user functions make; nothing that reads or changes pool settings. */
const USER_POOL_ADMIN_ACTIONS = [
  'cognito-idp:AdminCreateUser',
  'cognito-idp:AdminGetUser',
  'cognito-idp:AdminDisableUser',
  'cognito-idp:AdminEnableUser',
  'cognito-idp:AdminDeleteUser',
  'cognito-idp:AdminUserGlobalSignOut',
  'cognito-idp:AdminUpdateUserAttributes',
  'cognito-idp:AdminDeleteUserAttributes',
  'cognito-idp:AdminResetUserPassword',
  'cognito-idp:AdminSetUserPassword',
] as const;

/**
 * What SCIM does to a pool user (lambdas/shared/directory.ts `disable`, `enable`,
 * `deleteUser`): never create one, change attributes or set a password.
 */
const USER_POOL_SCIM_ACTIONS = [
  'cognito-idp:AdminDisableUser',
  'cognito-idp:AdminUserGlobalSignOut',
  'cognito-idp:AdminEnableUser',
  'cognito-idp:AdminDeleteUser',
] as const;

export interface RouteGrantResources {
  readonly config: StaxidConfig;
  readonly table: ITableV2;
  readonly userPool: UserPool;
  readonly userPoolClient: UserPoolClient;
  readonly tokenSigningKey: IKey;
  readonly tokenHashKey: IKey;
  readonly auditWriterRole: AuditWriterRole;
  readonly auditReaderRole: AuditReaderRole;
  /** The permission-set deployment queue (ADR 0018). */
  readonly deploymentQueue: IQueue;
  /** Signs SAML responses for AWS sign-in (ADR 0011). */
  readonly samlSigningKey: IKey;
  /** The API's base URL, built without a reference to its deployment (which would be circular). */
  readonly apiUrl: string;
}

/** Every function: who the installation is, and where its tokens come from. */
export function applyCommonEnvironment(fn: StaxidFunction, resources: RouteGrantResources): void {
  fn.addEnvironment(ORGANISATION_ID_ENV, organisationIdFor(resources.config.organizationId));
  fn.addEnvironment(TOKEN_ISSUER_ENV, resources.apiUrl);
}

/** Grants what the routes served by `fn` ask for. */
export function applyRouteGrants(
  fn: StaxidFunction,
  routes: readonly RouteDefinition[],
  resources: RouteGrantResources,
): void {
  const grants = new Set<RouteGrant>(routes.flatMap((route) => route.grants ?? []));
  applyCommonEnvironment(fn, resources);
  // Audit events of changes and token exchanges go to the table's outbox (ADR 0010).
  if (grants.has('table:write')) {
    fn.grantTable(resources.table, 'readWrite');
  } else {
    if (grants.has('table:read')) fn.grantTable(resources.table, 'read');
    if (grants.has('audit:record')) fn.grantAuditRecord(resources.table);
  }
  if (grants.has('userpool:admin')) {
    resources.userPool.grant(fn, ...USER_POOL_ADMIN_ACTIONS);
    fn.addEnvironment(USER_POOL_ID_ENV, resources.userPool.userPoolId);
  } else if (grants.has('userpool:scim')) {
    resources.userPool.grant(fn, ...USER_POOL_SCIM_ACTIONS);
    fn.addEnvironment(USER_POOL_ID_ENV, resources.userPool.userPoolId);
  }
  if (grants.has('token-key:sign')) {
    grantSigning(resources.tokenSigningKey, fn.executionRole);
    fn.addEnvironment(TOKEN_SIGNING_KEY_ENV, resources.tokenSigningKey.keyArn);
  }
  if (grants.has('token-hash:mac')) {
    resources.tokenHashKey.grant(fn, 'kms:GenerateMac');
    fn.addEnvironment(TOKEN_HASH_KEY_ENV, resources.tokenHashKey.keyArn);
  }
  if (grants.has('token-key:read')) {
    resources.tokenSigningKey.grant(fn, 'kms:GetPublicKey');
    fn.addEnvironment(TOKEN_SIGNING_KEY_ENV, resources.tokenSigningKey.keyArn);
  }
  if (grants.has('organizations:read')) grantOrganizationsRead(fn, resources.config);
  if (grants.has('saml-key:sign')) {
    grantSigning(resources.samlSigningKey, fn.executionRole);
    applySamlEnvironment(fn, resources);
    fn.addEnvironment(
      SIGNIN_ENV.builtinSessionSeconds,
      String(resources.config.identity.builtinRoleSessionDuration),
    );
  } else if (grants.has('saml-key:read')) {
    // The public metadata route: the certificates made at deploy time, checked against the key.
    resources.samlSigningKey.grant(fn, 'kms:GetPublicKey', 'kms:DescribeKey');
    grantSamlCertificatesItem(fn, resources.table, 'dynamodb:GetItem');
    applySamlEnvironment(fn, resources);
  }
  const supportGroupName = resources.config.identity.supportGroupName;
  if (supportGroupName && routes.some((route) => route.operationId === 'support.CreateSupportAccessGrant')) {
    fn.addEnvironment(SUPPORT_GROUP_NAME_ENV, supportGroupName);
  }
  // AWS sign-in answers only once its event is in the bucket (ADR 0010).
  if (grants.has('audit:write')) grantAudit(fn, resources);
  if (grants.has('audit:read')) grantAuditRead(fn, resources);
  if (grants.has('deployments:enqueue')) {
    resources.deploymentQueue.grantSendMessages(fn);
    fn.addEnvironment(DEPLOYMENT_QUEUE_URL_ENV, resources.deploymentQueue.queueUrl);
  }
  if (routes.some((route) => route.operationId === 'public.ReadConfig')) {
    fn.addEnvironment(PUBLIC_CONFIG_ENV.apiUrl, resources.apiUrl);
    fn.addEnvironment(PUBLIC_CONFIG_ENV.userPoolId, resources.userPool.userPoolId);
    fn.addEnvironment(PUBLIC_CONFIG_ENV.userPoolClientId, resources.userPoolClient.userPoolClientId);
    fn.addEnvironment(
      PUBLIC_CONFIG_ENV.hostedUiUrl,
      hostedUiUrl(resources.config.identity.domainPrefix, Aws.REGION),
    );
  }
}

/**
 * The authorizer resolves every caller with one GetItem and verifies staxid's own tokens
 * against the signing key's public half.
 */
export function applyAuthorizerGrants(fn: StaxidFunction, resources: RouteGrantResources): void {
  applyCommonEnvironment(fn, resources);
  fn.grantTable(resources.table, 'read');
  resources.tokenSigningKey.grant(fn, 'kms:GetPublicKey');
  fn.addEnvironment(TOKEN_SIGNING_KEY_ENV, resources.tokenSigningKey.keyArn);
}

/**
 * Lets `fn` write audit events to the bucket directly: the bucket's name and the writer
 * role it may assume (the outbox's shipper, and AWS sign-in, which answers only after its
 * event is in the bucket).
 */
export function grantAudit(
  fn: StaxidFunction,
  resources: Pick<RouteGrantResources, 'config' | 'auditWriterRole'>,
): void {
  const { config } = resources;
  resources.auditWriterRole.allowAssumeBy(fn);
  fn.addEnvironment(AUDIT_ENV.bucket, auditBucketName(config.accounts.logging, config.region));
  fn.addEnvironment(AUDIT_ENV.writerRoleArn, resources.auditWriterRole.role.roleArn);
}

/**
 * Lets `fn` read the audit trail, all through staxid-audit-reader: the bucket, and CloudTrail
 * in member accounts through their read-only staxid-cloudtrail-reader (corroboration,
 * ADR 0014). Never the deployer role, which can change IAM in every member account.
 */
export function grantAuditRead(
  fn: StaxidFunction,
  resources: Pick<RouteGrantResources, 'config' | 'auditReaderRole'>,
): void {
  const { config } = resources;
  resources.auditReaderRole.allowAssumeBy(fn);
  resources.auditReaderRole.allowCloudTrailReadsIn(config.organizationId);
  fn.addEnvironment(AUDIT_ENV.bucket, auditBucketName(config.accounts.logging, config.region));
  fn.addEnvironment(AUDIT_QUERY_ENV.readerRoleArn, resources.auditReaderRole.role.roleArn);
}

/** Who the SAML IdP is and which key it signs with (sign-in and metadata). */
function applySamlEnvironment(fn: StaxidFunction, resources: RouteGrantResources): void {
  fn.addEnvironment(SAML_ENV.keyId, resources.samlSigningKey.keyArn);
  fn.addEnvironment(SIGNIN_ENV.entityId, `${resources.apiUrl}/saml/metadata.xml`);
  fn.addEnvironment(PUBLIC_CONFIG_ENV.apiUrl, resources.apiUrl);
}

/** One call on the `SAMLCERT` item only (dynamodb:LeadingKeys), never the rest of the table. */
function grantSamlCertificatesItem(fn: StaxidFunction, table: ITableV2, action: string): void {
  fn.addToRolePolicy(
    new PolicyStatement({
      actions: [action],
      resources: [table.tableArn],
      conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [SAML_CERTIFICATES_KEY.PK] } },
    }),
  );
  if (action === 'dynamodb:GetItem') {
    table.encryptionKey?.grantDecrypt(fn);
  } else {
    table.encryptionKey?.grantEncrypt(fn);
    Validations.of(fn.executionRole).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Action::kms:ReEncrypt*]',
        reason:
          "DynamoDB needs kms:ReEncrypt* on the table's customer-managed key to write items; the grant is limited to that one key.",
      },
      {
        id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
        reason:
          "DynamoDB needs kms:GenerateDataKey* on the table's customer-managed key to write items; the grant is limited to that one key.",
      },
    );
  }
  fn.addEnvironment(TABLE_NAME_ENV, table.tableName);
}

/**
 * The deploy-time `SamlCertificate` custom resource's function (lambdas/saml/certificate-resource.ts):
 * the only holder of kms:Sign on the SAML key besides AWS sign-in, invoked only by
 * CloudFormation; it writes the `SAMLCERT` item and nothing else of the table.
 */
export function grantSamlCertificateResource(
  fn: StaxidFunction,
  resources: Pick<RouteGrantResources, 'table' | 'samlSigningKey'>,
): void {
  grantSigning(resources.samlSigningKey, fn.executionRole);
  grantSamlCertificatesItem(fn, resources.table, 'dynamodb:PutItem');
}

function grantOrganizationsRead(fn: StaxidFunction, config: StaxidConfig): void {
  const readerRole = roleArn(Aws.PARTITION, config.accounts.management, ORGANIZATIONS_READER_ROLE_NAME);
  fn.addToRolePolicy(new PolicyStatement({ actions: ['sts:AssumeRole'], resources: [readerRole] }));
  fn.addEnvironment(ORGANIZATION_ENV.roleArn, readerRole);
  fn.addEnvironment(ACCOUNT_ROLE_ENV.management, config.accounts.management);
  fn.addEnvironment(ACCOUNT_ROLE_ENV.security, config.accounts.security);
  fn.addEnvironment(ACCOUNT_ROLE_ENV.logging, config.accounts.logging);
}
