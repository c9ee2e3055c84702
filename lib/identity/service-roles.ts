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
  AUDIT_WRITER_ROLE_NAME,
  AUTOMATION_ROLE_NAME,
  auditBucketName,
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

export interface AuditWriterRoleProps {
  /** The logging account, which holds the audit bucket and its key. */
  readonly loggingAccount: string;
}

/**
 * `staxid-audit-writer`: may only put objects under `events/` in the audit bucket of the
 * logging account, encrypting them with the bucket's key through S3.
 */
export class AuditWriterRole extends CallerScopedRole {
  constructor(scope: Construct, id: string, props: AuditWriterRoleProps) {
    const { partition, region } = Stack.of(scope);
    const bucket = auditBucketName(props.loggingAccount, region);
    const objectsArn = `arn:${partition}:s3:::${bucket}/${AUDIT_EVENTS_PREFIX}*`;
    const keysArn = `arn:${partition}:kms:${region}:${props.loggingAccount}:key/*`;
    super(scope, id, {
      roleName: AUDIT_WRITER_ROLE_NAME,
      description: 'staxid: writes audit events to the audit bucket in the logging account',
      policy: new PolicyDocument({
        statements: [
          new PolicyStatement({ sid: 'PutAuditEvents', actions: ['s3:PutObject'], resources: [objectsArn] }),
          new PolicyStatement({
            sid: 'EncryptAuditEventsThroughS3',
            // A single-part PutObject with SSE-KMS needs only GenerateDataKey (no Encrypt, no Decrypt).
            actions: ['kms:GenerateDataKey'],
            resources: [keysArn],
            conditions: {
              StringEquals: { 'kms:ViaService': `s3.${region}.amazonaws.com` },
              'ForAnyValue:StringEquals': { 'kms:ResourceAliases': AUDIT_KEY_ALIAS },
            },
          }),
        ],
      }),
    });
    Validations.of(this.role).acknowledge(
      {
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${bucket}/${AUDIT_EVENTS_PREFIX}*]`,
        reason: `Every audit event is its own object, keyed ${AUDIT_EVENTS_PREFIX}YYYY/MM/DD/HH/<eventId>.json; only PutObject, only under ${AUDIT_EVENTS_PREFIX}, only in the audit bucket.`,
      },
      {
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:${region}:${props.loggingAccount}:key/*]`,
        reason: `The audit key lives in the logging account and its id cannot be referenced across accounts; the statement is limited to GenerateDataKey called by S3 (kms:ViaService) on the key aliased ${AUDIT_KEY_ALIAS} (kms:ResourceAliases).`,
      },
    );
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
