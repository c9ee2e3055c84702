import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  App,
  Aws,
  BootstraplessSynthesizer,
  Lazy,
  Stack,
  type StackProps,
  Token,
  Validations,
} from 'aws-cdk-lib';
import { CfnStackSet } from 'aws-cdk-lib/aws-cloudformation';
import { AccountPrincipal, PolicyDocument, PolicyStatement, Role } from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Construct } from 'constructs';
import {
  ACCOUNT_DISCOVERY_ROLE_NAME,
  ORGANIZATIONS_READER_ROLE_NAME,
  roleArn,
} from '@/lambdas/shared/constants';
import type { StaxidConfig } from '@/lib/config';
import { MemberAccountStack } from '@/lib/member-account/member-account-stack';

/** Name of the StackSet that puts the staxid roles into member accounts. */
export const MEMBER_ROLES_STACK_SET_NAME = 'staxid-member-roles';

/** The largest `TemplateBody` CloudFormation accepts inline, in bytes. */
export const MAX_TEMPLATE_BODY_BYTES = 51_200;

/**
 * Who the StackSet is created as: `SELF` from the organization's management account,
 * `DELEGATED_ADMIN` from a delegated administrator account for CloudFormation StackSets.
 */
export type StackSetCallAs = 'SELF' | 'DELEGATED_ADMIN';

export interface MemberRolesStackProps extends StackProps {
  /** The validated staxid configuration; the stack reads `accounts`, `region`, `memberRoles` and `identity`. */
  readonly config: StaxidConfig;

  /**
   * Whether the stack is deployed in the management account (`SELF`) or in a delegated
   * administrator account for StackSets (`DELEGATED_ADMIN`).
   *
   * @default 'SELF'
   */
  readonly callAs?: StackSetCallAs;
}

/**
 * The management-account stack that rolls the staxid roles out to every account in the
 * configured OUs: a SERVICE_MANAGED StackSet whose template is a `MemberAccountStack`.
 *
 * The member-account stack lives in a private `App` of its own, never in the main app,
 * so `cdk deploy` cannot put admin roles into the management account by mistake (ADR 0005).
 * That private app carries the cdk-nag AwsSolutions checks; it is synthesized when this
 * stack's template is, so a change to `memberAccountTemplate` made after construction
 * still reaches the StackSet and still has to pass cdk-nag.
 */
export class MemberRolesStack extends Stack {
  /** The stack whose template every member account gets. Not deployable on its own. */
  readonly memberAccountTemplate: MemberAccountStack;

  /** The StackSet. There is no L2 construct for StackSets in aws-cdk-lib. */
  readonly stackSet: CfnStackSet;

  /**
   * Lets DiscoverAccounts list the organization's accounts: read-only, and assumable only
   * by the discovery function's role in the security account.
   */
  readonly organizationsReaderRole: Role;

  private readonly memberApp: App;
  private readonly samlMetadataBytes: number;
  private templateBody?: string;

  constructor(scope: Construct, id: string, props: MemberRolesStackProps) {
    super(scope, id, props);
    const { config } = props;
    const callAs = props.callAs ?? 'SELF';
    this.validateAccount(callAs, config.accounts.management);
    this.samlMetadataBytes = Buffer.byteLength(config.memberRoles.samlMetadata);

    this.memberApp = new App({
      outdir: mkdtempSync(join(tmpdir(), 'staxid-member-template-')),
      autoSynth: false,
      // No CDKMetadata resource: the template is for accounts that never saw the CDK.
      analyticsReporting: false,
      // The same feature flags as the main app...
      context: this.node.getAllContext(),
      // ...but no construct paths in a template that ships to every member account.
      postCliContext: { 'aws:cdk:enable-path-metadata': false },
    });
    Validations.of(this.memberApp).addPlugins(new AwsSolutionsChecks(this.memberApp));

    this.memberAccountTemplate = new MemberAccountStack(this.memberApp, 'StaxidMemberAccount', {
      description: `staxid SAML provider and roles (member account, deployed by the ${MEMBER_ROLES_STACK_SET_NAME} StackSet)`,
      // Member accounts are not CDK-bootstrapped: no BootstrapVersion parameter, no assets.
      synthesizer: new BootstraplessSynthesizer(),
      securityAccountId: config.accounts.security,
      organizationId: config.organizationId,
      samlMetadata: config.memberRoles.samlMetadata,
      builtinRoleSessionDuration: config.identity.builtinRoleSessionDuration,
    });

    this.stackSet = new CfnStackSet(this, 'StackSet', {
      stackSetName: MEMBER_ROLES_STACK_SET_NAME,
      description:
        'staxid SAML provider, built-in roles, automation role and CloudTrail reader role in every member account',
      permissionModel: 'SERVICE_MANAGED',
      callAs,
      autoDeployment: { enabled: true, retainStacksOnAccountRemoval: false },
      capabilities: ['CAPABILITY_NAMED_IAM'],
      managedExecution: { Active: true },
      operationPreferences: {
        maxConcurrentPercentage: 25,
        // A broken template stops after the first batch instead of reaching every account.
        failureTolerancePercentage: 10,
      },
      stackInstancesGroup: [
        {
          // Never staxid's own accounts, even when they sit in a target OU: admin of the security
          // account (the deployer role, the signing keys) would be admin of every account.
          // StackSets never deploy to the management account anyway.
          deploymentTargets: {
            organizationalUnitIds: [...config.memberRoles.targetOus],
            accountFilterType: 'DIFFERENCE',
            accounts: [config.accounts.security, config.accounts.logging],
          },
          // One region only: IAM is global, a second instance would collide on the role names.
          regions: [config.region],
        },
      ],
      templateBody: Lazy.string({ produce: () => this.renderTemplateBody() }),
    });

    this.organizationsReaderRole = new Role(this, 'OrganizationsReader', {
      roleName: ORGANIZATIONS_READER_ROLE_NAME,
      description: 'staxid DiscoverAccounts: lists the accounts of the organization',
      // By principal ARN (not as Principal): this stack may be deployed before the Identity stack's role exists.
      assumedBy: new AccountPrincipal(config.accounts.security).withConditions({
        ArnEquals: {
          'aws:PrincipalArn': roleArn(Aws.PARTITION, config.accounts.security, ACCOUNT_DISCOVERY_ROLE_NAME),
        },
      }),
      inlinePolicies: {
        ListAccounts: new PolicyDocument({
          statements: [
            new PolicyStatement({
              actions: ['organizations:ListAccounts', 'organizations:DescribeOrganization'],
              resources: ['*'],
            }),
          ],
        }),
      },
    });
    Validations.of(this.organizationsReaderRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'organizations:ListAccounts and DescribeOrganization support no resource-level permissions; the role can only read.',
    });
  }

  /**
   * Synthesizes the private app (running cdk-nag over the member template; an
   * unacknowledged finding throws `ValidationFailed`) and returns the template as JSON.
   */
  private renderTemplateBody(): string {
    if (this.templateBody === undefined) {
      const assembly = this.memberApp.synth();
      const template: unknown = assembly.getStackArtifact(this.memberAccountTemplate.artifactId).template;
      // Only the template is needed, and the private assembly keeps it in memory. (A failed
      // validation throws above and leaves the folder for its validation-report.json.)
      rmSync(assembly.directory, { recursive: true, force: true });
      const body = JSON.stringify(template);
      const bytes = Buffer.byteLength(body);
      if (bytes > MAX_TEMPLATE_BODY_BYTES) {
        throw new Error(
          `The member-account StackSet template is ${bytes} bytes, more than the ${MAX_TEMPLATE_BODY_BYTES} bytes CloudFormation accepts as a TemplateBody. ` +
            `The SAML metadata in staxid.memberRoles.samlMetadataFile is ${this.samlMetadataBytes} bytes of it: ` +
            'remove what AWS does not need from it (extra certificates, signatures, other roles).',
        );
      }
      this.templateBody = body;
    }
    return this.templateBody;
  }

  private validateAccount(callAs: StackSetCallAs, managementAccount: string): void {
    if (Token.isUnresolved(this.account)) return;
    if (callAs === 'SELF' && this.account !== managementAccount) {
      throw new Error(
        `MemberRolesStack: callAs "SELF" creates the StackSet as the management account, so the stack must be deployed there (${managementAccount}), got account ${this.account}. ` +
          'Deploy it to the management account, or use callAs "DELEGATED_ADMIN" from a delegated administrator account.',
      );
    }
    if (callAs === 'DELEGATED_ADMIN' && this.account === managementAccount) {
      throw new Error(
        `MemberRolesStack: callAs "DELEGATED_ADMIN" is for a delegated administrator account, but the stack is in the management account (${managementAccount}). Use callAs "SELF" there.`,
      );
    }
  }
}
