import { Duration, Lazy, Stack, Validations } from 'aws-cdk-lib';
import {
  AccountRootPrincipal,
  type Grant,
  type IRole,
  PolicyDocument,
  PolicyStatement,
  Role,
} from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import {
  AUDIT_EVENTS_PREFIX,
  AUDIT_KEY_ALIAS,
  AUDIT_READER_ROLE_NAME,
  AUDIT_WRITER_ROLE_NAME,
  AUTOMATION_ROLE_NAME,
  auditBucketName,
  CLOUDTRAIL_READER_ROLE_NAME,
  DEPLOYER_ROLE_NAME,
} from '@/lambdas/shared/constants';

/** Something with an IAM role that can be allowed to assume a `CallerScopedRole`. */
export interface RoleHolder {
  readonly role?: IRole;
}

export interface CallerScopedRoleProps {
  /** The role's fixed name: other accounts' policies refer to it. */
  readonly roleName: string;
  readonly description: string;
  /** Everything the role may do. */
  readonly policy: PolicyDocument;
}

/**
 * A role with a fixed name that only the roles registered through `allowAssumeBy` may
 * assume. The trust policy names the security account and pins `aws:PrincipalArn` to
 * those roles (so it survives a caller role's re-creation); until one is registered it
 * pins the role's own ARN, which nobody can hold without having assumed it first:
 * the role is then assumable by nobody.
 */
export class CallerScopedRole extends Construct {
  readonly role: Role;
  private readonly callers: IRole[] = [];

  constructor(scope: Construct, id: string, props: CallerScopedRoleProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const ownArn = stack.formatArn({
      service: 'iam',
      region: '',
      resource: 'role',
      resourceName: props.roleName,
    });
    const trustedArns = Lazy.list({
      produce: () => (this.callers.length > 0 ? this.callers.map((caller) => caller.roleArn) : [ownArn]),
    });
    this.role = new Role(this, 'Role', {
      roleName: props.roleName,
      description: props.description,
      assumedBy: new AccountRootPrincipal().withConditions({
        ArnEquals: { 'aws:PrincipalArn': trustedArns },
      }),
      maxSessionDuration: Duration.hours(1),
      inlinePolicies: { Permissions: props.policy },
    });
  }

  /** Lets the holder's role assume this role: adds it to the trust policy and grants it `sts:AssumeRole`. */
  allowAssumeBy(holder: RoleHolder): Grant {
    const callerRole = holder.role;
    if (!callerRole) throw new Error(`${this.node.path}: the caller has no IAM role to trust`);
    // Functions may share an execution role: trust each role once.
    if (!this.callers.includes(callerRole)) this.callers.push(callerRole);
    return this.role.grantAssumeRole(callerRole);
  }
}

export interface AuditBucketRoleProps {
  /** The logging account, which holds the audit bucket and its key. */
  readonly loggingAccount: string;
}

/** What one of the two audit bucket roles does to the events, and which KMS call S3 makes for it. */
interface AuditBucketAccess {
  readonly roleName: string;
  readonly description: string;
  /** The object call on `events/*`, with its statement id (`PutAuditEvents`, `GetAuditEvents`). */
  readonly objects: { readonly sid: string; readonly action: string };
  /** Whether the role may list `events/` (the reader pages through it). */
  readonly list: boolean;
  /** The KMS call S3 makes on the role's behalf, with its statement id. */
  readonly key: { readonly sid: string; readonly action: string };
}

/**
 * A role on the audit bucket of the logging account: one object call under `events/`
 * (and listing there, for the reader), the bucket's key usable only through S3
 * (`kms:ViaService`) and only as the key aliased `AUDIT_KEY_ALIAS`. The key's id cannot be
 * referenced across accounts, hence the `key/*` resource bounded by those conditions.
 */
abstract class AuditBucketRole extends CallerScopedRole {
  constructor(scope: Construct, id: string, props: AuditBucketRoleProps, access: AuditBucketAccess) {
    const { partition, region } = Stack.of(scope);
    const bucket = auditBucketName(props.loggingAccount, region);
    const bucketArn = `arn:${partition}:s3:::${bucket}`;
    const objectsArn = `${bucketArn}/${AUDIT_EVENTS_PREFIX}*`;
    const keysArn = `arn:${partition}:kms:${region}:${props.loggingAccount}:key/*`;
    const list = new PolicyStatement({
      sid: 'ListAuditEvents',
      actions: ['s3:ListBucket'],
      resources: [bucketArn],
      conditions: { StringLike: { 's3:prefix': `${AUDIT_EVENTS_PREFIX}*` } },
    });
    super(scope, id, {
      roleName: access.roleName,
      description: access.description,
      policy: new PolicyDocument({
        statements: [
          ...(access.list ? [list] : []),
          new PolicyStatement({
            sid: access.objects.sid,
            actions: [access.objects.action],
            resources: [objectsArn],
          }),
          new PolicyStatement({
            sid: access.key.sid,
            actions: [access.key.action],
            resources: [keysArn],
            conditions: {
              StringEquals: { 'kms:ViaService': `s3.${region}.amazonaws.com` },
              'ForAnyValue:StringEquals': { 'kms:ResourceAliases': AUDIT_KEY_ALIAS },
            },
          }),
        ],
      }),
    });
    const objectCall = access.objects.action.replace(/^s3:/, '');
    const keyCall = access.key.action.replace(/^kms:/, '');
    Validations.of(this.role).acknowledge(
      {
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${bucket}/${AUDIT_EVENTS_PREFIX}*]`,
        reason: `Every audit event is its own object, keyed ${AUDIT_EVENTS_PREFIX}YYYY/MM/DD/HH/<eventId>.json; only ${objectCall}, only under ${AUDIT_EVENTS_PREFIX}, only in the audit bucket.`,
      },
      {
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:${region}:${props.loggingAccount}:key/*]`,
        reason: `The audit key lives in the logging account and its id cannot be referenced across accounts; the statement is limited to ${keyCall} called by S3 (kms:ViaService) on the key aliased ${AUDIT_KEY_ALIAS} (kms:ResourceAliases).`,
      },
    );
  }
}

/**
 * `staxid-audit-writer`: may only put objects under `events/` in the audit bucket of the
 * logging account, encrypting them with the bucket's key through S3.
 */
export class AuditWriterRole extends AuditBucketRole {
  constructor(scope: Construct, id: string, props: AuditBucketRoleProps) {
    super(scope, id, props, {
      roleName: AUDIT_WRITER_ROLE_NAME,
      description: 'staxid: writes audit events to the audit bucket in the logging account',
      objects: { sid: 'PutAuditEvents', action: 's3:PutObject' },
      list: false,
      // A single-part PutObject with SSE-KMS needs only GenerateDataKey (no Encrypt, no Decrypt).
      key: { sid: 'EncryptAuditEventsThroughS3', action: 'kms:GenerateDataKey' },
    });
  }
}

/**
 * `staxid-audit-reader`: may only list and get objects under `events/` in the audit bucket
 * of the logging account, decrypting them with the bucket's key through S3, and (once
 * `allowCloudTrailReadsIn` is called) assume the read-only `staxid-cloudtrail-reader` in
 * member accounts. Assumed by the audit query function (`allowAssumeBy`), as the writer role
 * is by the functions that write.
 */
export class AuditReaderRole extends AuditBucketRole {
  private cloudTrailOrganizationId?: string;

  constructor(scope: Construct, id: string, props: AuditBucketRoleProps) {
    super(scope, id, props, {
      roleName: AUDIT_READER_ROLE_NAME,
      description: 'staxid: reads audit events from the audit bucket in the logging account',
      objects: { sid: 'GetAuditEvents', action: 's3:GetObject' },
      list: true,
      key: { sid: 'DecryptAuditEventsThroughS3', action: 'kms:Decrypt' },
    });
  }

  /**
   * Lets the role assume `staxid-cloudtrail-reader` (only `cloudtrail:LookupEvents`) in the
   * accounts of `organizationId`, to corroborate sign-ins (ADR 0014): never a role that can
   * change anything there. Idempotent for one organization.
   */
  allowCloudTrailReadsIn(organizationId: string): void {
    if (this.cloudTrailOrganizationId === organizationId) return;
    if (this.cloudTrailOrganizationId !== undefined) {
      throw new Error(
        `${this.node.path}: CloudTrail reads are already allowed in ${this.cloudTrailOrganizationId}`,
      );
    }
    this.cloudTrailOrganizationId = organizationId;
    const readerRoles = `arn:${Stack.of(this).partition}:iam::*:role/${CLOUDTRAIL_READER_ROLE_NAME}`;
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'AssumeCloudTrailReaderInOrganization',
        actions: ['sts:AssumeRole'],
        resources: [readerRoles],
        conditions: { StringEquals: { 'aws:ResourceOrgID': organizationId } },
      }),
    );
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::*:role/${CLOUDTRAIL_READER_ROLE_NAME}]`,
      reason: `${CLOUDTRAIL_READER_ROLE_NAME} exists in every member account, and accounts join the organization over time; the account wildcard is bounded by aws:ResourceOrgID = ${organizationId}, and the role can only call cloudtrail:LookupEvents.`,
    });
  }
}

export interface DeployerRoleProps {
  /** The AWS Organization whose member accounts the role may reach. */
  readonly organizationId: string;
}

/**
 * `staxid-deployer`: may only assume `staxid-automation-role` in the accounts of the
 * organization, to deploy permission-set roles and session revocations there.
 */
export class DeployerRole extends CallerScopedRole {
  constructor(scope: Construct, id: string, props: DeployerRoleProps) {
    const { partition } = Stack.of(scope);
    super(scope, id, {
      roleName: DEPLOYER_ROLE_NAME,
      description: `staxid: assumes ${AUTOMATION_ROLE_NAME} in member accounts of ${props.organizationId}`,
      policy: new PolicyDocument({
        statements: [
          new PolicyStatement({
            sid: 'AssumeAutomationRoleInOrganization',
            actions: ['sts:AssumeRole'],
            resources: [`arn:${partition}:iam::*:role/${AUTOMATION_ROLE_NAME}`],
            conditions: { StringEquals: { 'aws:ResourceOrgID': props.organizationId } },
          }),
        ],
      }),
    });
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::*:role/${AUTOMATION_ROLE_NAME}]`,
      reason: `The automation role exists in every member account, and accounts join the organization over time; the account wildcard is bounded by aws:ResourceOrgID = ${props.organizationId}.`,
    });
  }
}
