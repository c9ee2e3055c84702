import { Aws, Duration, Stack, type StackProps, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import {
  type AccessLevel,
  AUDIT_READER_ROLE_NAME,
  AUTOMATION_ROLE_NAME,
  AWS_SAML_SIGNIN_URL,
  BUILTIN_ROLE_NAMES,
  CLOUDTRAIL_READER_ROLE_NAME,
  DEPLOYER_ROLE_NAME,
  PERMISSION_SET_ROLE_PATH,
  roleArn,
  SAML_PROVIDER_NAME,
} from '@/lambdas/shared/constants';

/** The AWS managed policy behind each built-in role. */
export const BUILTIN_ROLE_MANAGED_POLICIES: Readonly<Record<AccessLevel, string>> = {
  admin: 'AdministratorAccess',
  developer: 'job-function/SystemAdministrator',
  readonly: 'ReadOnlyAccess',
};

/** STS accepts SAML session durations from 15 minutes to 12 hours... */
const MIN_SESSION_SECONDS = 900;
const MAX_SESSION_SECONDS = 43200;
/** ...and IAM a role's maximum session duration from 1 hour. */
const MIN_MAX_SESSION_SECONDS = 3600;

export interface MemberAccountStackProps extends StackProps {
  /** The security account, where the Identity stack's `staxid-deployer` role lives. */
  readonly securityAccountId: string;

  /** The AWS Organizations id; the automation role admits the deployer role only from inside it. */
  readonly organizationId: string;

  /** The staxid service's SAML IdP metadata (`GET /saml/metadata.xml`), trusted by the `staxid` provider. */
  readonly samlMetadata: string;

  /**
   * Session duration of the built-in roles, in seconds (900..43200): the `SessionDuration`
   * the service asks for at sign-in. The roles' maximum session duration is this value,
   * raised to IAM's floor of 3600 seconds when it is lower.
   *
   * @default 3600
   */
  readonly builtinRoleSessionDuration?: number;

  /**
   * The partition of the ARNs that name the security account's roles.
   *
   * @default - the partition the template is deployed in (`AWS::Partition`)
   */
  readonly partition?: string;
}

/**
 * What staxid puts into every member account (through the MemberRoles StackSet):
 * the `staxid` SAML provider, the three built-in roles that trust only that provider,
 * `staxid-automation-role`, which only the Identity stack's deployer role may assume, to
 * manage permission-set roles and revoke sessions, and the read-only
 * `staxid-cloudtrail-reader`, which only its audit reader role may assume.
 *
 * The stack is environment-agnostic: one template serves every member account.
 * It is never deployed on its own; `MemberRolesStack` synthesizes it privately.
 */
export class MemberAccountStack extends Stack {
  /** The `staxid` SAML provider. */
  readonly samlProvider: iam.SamlProvider;

  /** The built-in roles, by access level. */
  readonly builtinRoles: Readonly<Record<AccessLevel, iam.Role>>;

  /** The role that the Identity stack's deployer role assumes. */
  readonly automationRole: iam.Role;

  /** The read-only role that the Identity stack's audit reader role assumes. */
  readonly cloudTrailReaderRole: iam.Role;

  constructor(scope: Construct, id: string, props: MemberAccountStackProps) {
    super(scope, id, props);
    const maxSessionDuration = roleMaxSessionDuration(props.builtinRoleSessionDuration ?? 3600);
    const partition = props.partition ?? Aws.PARTITION;

    this.samlProvider = new iam.SamlProvider(this, 'SamlProvider', {
      name: SAML_PROVIDER_NAME,
      metadataDocument: iam.SamlMetadataDocument.fromXml(props.samlMetadata),
    });

    const builtinRole = (level: AccessLevel, id: string, description: string): iam.Role => {
      const policyName = BUILTIN_ROLE_MANAGED_POLICIES[level];
      const role = new iam.Role(this, id, {
        roleName: BUILTIN_ROLE_NAMES[level],
        description,
        assumedBy: new StaxidSamlPrincipal(this.samlProvider),
        managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName(policyName)],
        maxSessionDuration,
      });
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${policyName}]`,
        reason: `The Stax "${level}" access level is defined as the AWS managed ${policyName} policy, which AWS keeps current as services change.`,
      });
      return role;
    };
    this.builtinRoles = {
      admin: builtinRole(
        'admin',
        'AdminRole',
        'staxid Admin access: AdministratorAccess, via the staxid SAML provider',
      ),
      developer: builtinRole(
        'developer',
        'DeveloperRole',
        'staxid Developer access: job-function/SystemAdministrator, via the staxid SAML provider',
      ),
      readonly: builtinRole(
        'readonly',
        'ReadOnlyRole',
        'staxid Read Only access: ReadOnlyAccess, via the staxid SAML provider',
      ),
    };

    this.automationRole = this.createAutomationRole(props.securityAccountId, props.organizationId, partition);
    this.cloudTrailReaderRole = this.createCloudTrailReaderRole(
      props.securityAccountId,
      props.organizationId,
      partition,
    );
  }

  /**
   * `staxid-cloudtrail-reader`: only `cloudtrail:LookupEvents`, assumable only by the
   * security account's `staxid-audit-reader`, so that corroborating sign-ins (ADR 0014)
   * needs no role that can change this account.
   */
  private createCloudTrailReaderRole(
    securityAccountId: string,
    organizationId: string,
    partition: string,
  ): iam.Role {
    const role = new iam.Role(this, 'CloudTrailReaderRole', {
      roleName: CLOUDTRAIL_READER_ROLE_NAME,
      description: `staxid: looks up CloudTrail events to corroborate sign-ins; assumable only by ${AUDIT_READER_ROLE_NAME}`,
      assumedBy: new iam.AccountPrincipal(securityAccountId).withConditions({
        ArnEquals: { 'aws:PrincipalArn': roleArn(partition, securityAccountId, AUDIT_READER_ROLE_NAME) },
        StringEquals: { 'aws:PrincipalOrgID': organizationId },
      }),
      inlinePolicies: {
        StaxidCloudTrailReader: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              sid: 'CorroborateSignIns',
              actions: ['cloudtrail:LookupEvents'],
              resources: ['*'],
            }),
          ],
        }),
      },
      maxSessionDuration: Duration.hours(1),
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'cloudtrail:LookupEvents supports no resource-level permissions; it only reads management events, to corroborate staxid sign-ins (ADR 0014).',
    });
    return role;
  }

  private createAutomationRole(
    securityAccountId: string,
    organizationId: string,
    partition: string,
  ): iam.Role {
    const deployerArn = roleArn(partition, securityAccountId, DEPLOYER_ROLE_NAME);
    const ownRole = (name: string) => roleArn(Aws.PARTITION, Aws.ACCOUNT_ID, name);
    const permissionSetRoles = `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role${PERMISSION_SET_ROLE_PATH}*`;
    const builtinRoles = Object.values(BUILTIN_ROLE_NAMES).map(ownRole);

    const policy = new iam.PolicyDocument({
      statements: [
        new iam.PolicyStatement({
          sid: 'ManagePermissionSetRoles',
          actions: [
            'iam:CreateRole',
            'iam:DeleteRole',
            'iam:UpdateRole',
            'iam:UpdateRoleDescription',
            'iam:UpdateAssumeRolePolicy',
            'iam:TagRole',
            'iam:UntagRole',
            'iam:AttachRolePolicy',
            'iam:DetachRolePolicy',
            'iam:PutRolePolicy',
            'iam:DeleteRolePolicy',
          ],
          resources: [permissionSetRoles],
        }),
        new iam.PolicyStatement({
          sid: 'RevokeBuiltinRoleSessions',
          actions: ['iam:PutRolePolicy', 'iam:DeleteRolePolicy'],
          resources: builtinRoles,
        }),
        new iam.PolicyStatement({
          sid: 'ReadManagedRoles',
          actions: [
            'iam:GetRole',
            'iam:GetRolePolicy',
            'iam:ListRolePolicies',
            'iam:ListAttachedRolePolicies',
            'iam:ListRoleTags',
          ],
          resources: [permissionSetRoles, ...builtinRoles],
        }),
        new iam.PolicyStatement({
          // Whether a permission set's role name is free, or taken outside /staxid/: IAM
          // authorizes GetRole of a role it does not find (or finds at another path) against an
          // ARN without the /staxid/ path, so the first deployment of every permission set
          // needs it on every role name. Role metadata only; policies stay unreadable.
          sid: 'FindRoleByName',
          actions: ['iam:GetRole'],
          resources: [ownRole('*')],
        }),
        new iam.PolicyStatement({
          // Session revocation finds the permission-set roles it must protect by listing the
          // staxid path (ListRoles with PathPrefix). ListRoles has no resource-level permissions.
          sid: 'ListStaxidRoles',
          actions: ['iam:ListRoles'],
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          sid: 'NeverTouchTheAutomationRoleOrTheSamlProvider',
          effect: iam.Effect.DENY,
          actions: ['iam:*'],
          resources: [ownRole(AUTOMATION_ROLE_NAME), this.samlProvider.samlProviderArn],
        }),
      ],
    });

    const role = new iam.Role(this, 'AutomationRole', {
      roleName: AUTOMATION_ROLE_NAME,
      description:
        'staxid automation: deploys permission-set roles and revokes sessions; assumable only by staxid-deployer',
      assumedBy: new iam.AccountPrincipal(securityAccountId).withConditions({
        ArnEquals: { 'aws:PrincipalArn': deployerArn },
        StringEquals: { 'aws:PrincipalOrgID': organizationId },
      }),
      inlinePolicies: { StaxidAutomation: policy },
      maxSessionDuration: Duration.hours(1),
    });
    Validations.of(role).acknowledge(
      {
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:role${PERMISSION_SET_ROLE_PATH}*]`,
        reason: `Permission-set roles are created at run time with names staxid chooses; the wildcard is confined to this account and to the ${PERMISSION_SET_ROLE_PATH} path that only staxid uses (ADR 0004).`,
      },
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'iam:ListRoles supports no resource-level permissions; it only lists role metadata (names, paths), called with PathPrefix /staxid/ by session revocation (ADR 0013).',
      },
      {
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:role/*]',
        reason:
          'iam:GetRole only (role metadata, never its policies): IAM authorizes GetRole of a role name it does not find, or finds outside /staxid/, against an ARN without that path, and the engine must learn that a permission set name is free or taken by a role it must not touch.',
      },
    );
    return role;
  }
}

/**
 * Trusts the `staxid` SAML provider for sign-in through the AWS sign-in endpoint only,
 * and lets that sign-in set the source identity (used to revoke a user's sessions)
 * and session tags.
 */
class StaxidSamlPrincipal extends iam.SamlPrincipal {
  constructor(provider: iam.ISamlProvider) {
    super(provider, { StringEquals: { 'SAML:aud': AWS_SAML_SIGNIN_URL } });
  }

  override addToAssumeRolePolicy(document: iam.PolicyDocument): void {
    document.addStatements(
      new iam.PolicyStatement({
        actions: ['sts:AssumeRoleWithSAML', 'sts:SetSourceIdentity', 'sts:TagSession'],
        principals: [this],
      }),
    );
  }

  override toString(): string {
    return `StaxidSamlPrincipal(${this.federated})`;
  }
}

/** The built-in roles' maximum session duration for a configured session duration. */
function roleMaxSessionDuration(seconds: number): Duration {
  if (Token.isUnresolved(seconds)) return Duration.seconds(seconds);
  if (!Number.isInteger(seconds) || seconds < MIN_SESSION_SECONDS || seconds > MAX_SESSION_SECONDS) {
    throw new Error(
      `builtinRoleSessionDuration must be a whole number of seconds from ${MIN_SESSION_SECONDS} to ${MAX_SESSION_SECONDS}, got ${seconds}`,
    );
  }
  return Duration.seconds(Math.max(seconds, MIN_MAX_SESSION_SECONDS));
}
