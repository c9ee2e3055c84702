import type { AccountIam } from '@/lambdas/deployments/account-iam';
import type { RoleChange, RoleState } from '@/lambdas/deployments/role-model';

/**
 * IAM's effect of one write on a role, without IAM: what local mode's file-backed stand-in
 * (local/deployer.ts) and the simulation's in-memory accounts apply. It fails as IAM does:
 * `NoSuchEntity` for a missing role or policy, `EntityAlreadyExists` for a second CreateRole,
 * `DeleteConflict` for deleting a role that still has policies.
 */
export function applyChange(
  current: RoleState | undefined,
  desired: RoleState,
  change: RoleChange,
): RoleState | undefined {
  if (change.kind === 'createRole') {
    if (current) throw iamError('EntityAlreadyExists', `role ${desired.name} already exists`);
    return { ...desired, inlinePolicies: {}, managedPolicyArns: [] };
  }
  if (!current) throw iamError('NoSuchEntity', `role ${desired.name} does not exist`);
  switch (change.kind) {
    case 'updateRole':
      return { ...current, description: desired.description, maxSessionDuration: desired.maxSessionDuration };
    case 'updateTrustPolicy':
      return { ...current, trustPolicy: desired.trustPolicy };
    case 'putInlinePolicy':
      return {
        ...current,
        inlinePolicies: {
          ...current.inlinePolicies,
          [change.policyName]: desired.inlinePolicies[change.policyName] ?? '',
        },
      };
    case 'deleteInlinePolicy': {
      if (!(change.policyName in current.inlinePolicies)) {
        throw iamError('NoSuchEntity', `policy ${change.policyName} does not exist`);
      }
      const { [change.policyName]: _removed, ...rest } = current.inlinePolicies;
      return { ...current, inlinePolicies: rest };
    }
    case 'attachManagedPolicy':
      return current.managedPolicyArns.includes(change.policyArn)
        ? current
        : { ...current, managedPolicyArns: [...current.managedPolicyArns, change.policyArn] };
    case 'detachManagedPolicy':
      if (!current.managedPolicyArns.includes(change.policyArn)) {
        throw iamError('NoSuchEntity', `policy ${change.policyArn} is not attached`);
      }
      return {
        ...current,
        managedPolicyArns: current.managedPolicyArns.filter((arn) => arn !== change.policyArn),
      };
    case 'tagRole':
      return { ...current, tags: { ...current.tags, ...change.tags } };
    case 'untagRole':
      return {
        ...current,
        tags: Object.fromEntries(Object.entries(current.tags).filter(([key]) => !change.keys.includes(key))),
      };
    case 'deleteRole':
      if (Object.keys(current.inlinePolicies).length > 0 || current.managedPolicyArns.length > 0) {
        throw iamError('DeleteConflict', `role ${desired.name} still has policies`);
      }
      return undefined;
  }
}

/** An error shaped like the SDK's: its `name` is IAM's error code. */
export function iamError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** One account's roles in memory: the simulation's member accounts. */
export class MemoryAccountIam implements AccountIam {
  readonly roles = new Map<string, RoleState>();

  async readRole(name: string): Promise<RoleState | undefined> {
    return this.roles.get(name);
  }

  async apply(role: RoleState, change: RoleChange): Promise<void> {
    const next = applyChange(this.roles.get(role.name), role, change);
    if (next) this.roles.set(role.name, next);
    else this.roles.delete(role.name);
  }
}
