import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AuditStack } from '@/lib/audit/audit-stack';
import type { StaxidConfig } from '@/lib/config';
import { IdentityStack } from '@/lib/identity/identity-stack';
import { MemberRolesStack } from '@/lib/member-account/member-roles-stack';

export interface StaxidStacks {
  readonly audit: AuditStack;
  readonly identity: IdentityStack;
  readonly memberRoles: MemberRolesStack;
}

/**
 * Adds staxid's three stacks to an app, each in its own account, and the cdk-nag
 * AwsSolutions checks over all of them. The stacks meet on fixed names
 * (lambdas/shared/constants.ts), never on cross-stack references, because they are
 * in different accounts. Deploy in this order: Audit, Identity, MemberRoles.
 */
export function addStaxidStacks(app: App, config: StaxidConfig): StaxidStacks {
  const env = (account: string) => ({ account, region: config.region });

  const audit = new AuditStack(app, 'StaxidAudit', {
    stackName: 'staxid-audit',
    description: 'staxid audit bucket (logging account)',
    env: env(config.accounts.logging),
    config,
  });
  const identity = new IdentityStack(app, 'StaxidIdentity', {
    stackName: 'staxid-identity',
    description: 'staxid identity service (security account)',
    env: env(config.accounts.security),
    config,
  });
  const memberRoles = new MemberRolesStack(app, 'StaxidMemberRoles', {
    stackName: 'staxid-member-roles',
    description: 'staxid member-account roles StackSet (management account)',
    env: env(config.accounts.management),
    config,
  });

  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { audit, identity, memberRoles };
}
