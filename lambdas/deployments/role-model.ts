import { PermanentDeploymentError } from '@/lambdas/deployments/permanent-deployment-error';
import { inlinePolicyRoomProblem, REVOCATION_POLICY_NAME } from '@/lambdas/revocation/revocation-policy';
import {
  AWS_SAML_SIGNIN_URL,
  PERMISSION_SET_ROLE_PATH,
  SAML_PROVIDER_NAME,
} from '@/lambdas/shared/constants';

/**
 * The IAM role of a permission set in one member account, as staxid wants it and as IAM has
 * it, and the plan of IAM writes that turns the second into the first. The worker applies the
 * plan; the reconcile reports a non-empty plan as drift. Policy documents are compared by
 * their canonical JSON, since IAM hands them back re-serialised.
 */

/** One role's whole state: the fields staxid owns. */
export interface RoleState {
  readonly name: string;
  readonly path: string;
  readonly description: string;
  readonly maxSessionDuration: number;
  /** The trust policy document (JSON). */
  readonly trustPolicy: string;
  /** Inline policy documents (JSON) by policy name. */
  readonly inlinePolicies: Readonly<Record<string, string>>;
  readonly managedPolicyArns: readonly string[];
  readonly tags: Readonly<Record<string, string>>;
}

/** The permission set's fields the role is built from (the item's attributes). */
export interface PermissionSetRoleSource {
  readonly Id: string;
  readonly Name: string;
  readonly Description?: string;
  readonly AWSManagedPolicies?: readonly { readonly PolicyArn: string }[] | null;
  readonly InlinePolicies?: readonly { readonly Name: string; readonly Policy: string }[] | null;
  readonly MaxSessionDuration?: number;
  readonly Tags?: Readonly<Record<string, string>> | null;
}

/** STS's default session length, and the spec's MaxSessionDuration default. */
export const DEFAULT_MAX_SESSION_DURATION = 3600;

/**
 * The trust policy of every permission-set role: the `staxid` SAML provider of the account,
 * through the AWS sign-in endpoint only, with source identity and session tags: exactly what
 * the built-in roles trust (StaxidSamlPrincipal in lib/member-account/member-account-stack.ts).
 */
export function trustPolicy(partition: string, awsAccountId: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Federated: `arn:${partition}:iam::${awsAccountId}:saml-provider/${SAML_PROVIDER_NAME}` },
        Action: ['sts:AssumeRoleWithSAML', 'sts:SetSourceIdentity', 'sts:TagSession'],
        Condition: { StringEquals: { 'SAML:aud': AWS_SAML_SIGNIN_URL } },
      },
    ],
  });
}

/** The role a permission set asks for in one account. */
export function desiredRole(
  permissionSet: PermissionSetRoleSource,
  partition: string,
  awsAccountId: string,
): RoleState {
  return {
    name: permissionSet.Name,
    path: PERMISSION_SET_ROLE_PATH,
    description: permissionSet.Description ?? '',
    maxSessionDuration: permissionSet.MaxSessionDuration ?? DEFAULT_MAX_SESSION_DURATION,
    trustPolicy: trustPolicy(partition, awsAccountId),
    inlinePolicies: Object.fromEntries(
      (permissionSet.InlinePolicies ?? []).map((policy) => [policy.Name, policy.Policy]),
    ),
    managedPolicyArns: (permissionSet.AWSManagedPolicies ?? []).map((policy) => policy.PolicyArn),
    tags: { ...(permissionSet.Tags ?? {}) },
  };
}

/** One IAM write of a plan. */
export type RoleChange =
  | { readonly kind: 'createRole' }
  | { readonly kind: 'updateRole' }
  | { readonly kind: 'updateTrustPolicy' }
  | { readonly kind: 'putInlinePolicy'; readonly policyName: string }
  | { readonly kind: 'deleteInlinePolicy'; readonly policyName: string }
  | { readonly kind: 'attachManagedPolicy'; readonly policyArn: string }
  | { readonly kind: 'detachManagedPolicy'; readonly policyArn: string }
  | { readonly kind: 'tagRole'; readonly tags: Readonly<Record<string, string>> }
  | { readonly kind: 'untagRole'; readonly keys: readonly string[] }
  | { readonly kind: 'deleteRole' };

/**
 * The writes that make `live` equal `desired`, in an order IAM accepts: a missing role is
 * created whole (with its tags), then policies and tags are added and removed. Empty when
 * the role already matches, which is what makes a second deployment write nothing.
 * Refuses (PermanentDeploymentError, so the deployment is recorded failed) a role whose
 * inline policies leave session revocation too little room: a permission set stored
 * before the API checked that would otherwise make a role whose users' sessions cannot be
 * revoked. Deleting such a role (planRoleDeletion) is never refused.
 */
export function planRole(desired: RoleState, live: RoleState | undefined): RoleChange[] {
  const noRoom = inlinePolicyRoomProblem(Object.values(desired.inlinePolicies));
  if (noRoom) {
    throw new PermanentDeploymentError(`the inline policies of permission set ${desired.name}: ${noRoom}`);
  }
  if (!live) {
    return [
      { kind: 'createRole' },
      ...policyChanges(desired, { ...desired, inlinePolicies: {}, managedPolicyArns: [] }),
    ];
  }
  const changes: RoleChange[] = [];
  if (!sameDocument(desired.trustPolicy, live.trustPolicy)) changes.push({ kind: 'updateTrustPolicy' });
  if (desired.maxSessionDuration !== live.maxSessionDuration || desired.description !== live.description) {
    changes.push({ kind: 'updateRole' });
  }
  changes.push(...policyChanges(desired, live));
  const changedTags = Object.fromEntries(
    Object.entries(desired.tags).filter(([key, value]) => live.tags[key] !== value),
  );
  if (Object.keys(changedTags).length > 0) changes.push({ kind: 'tagRole', tags: changedTags });
  const extraTags = Object.keys(live.tags).filter((key) => !(key in desired.tags));
  if (extraTags.length > 0) changes.push({ kind: 'untagRole', keys: extraTags.sort() });
  return changes;
}

/** The writes that remove a role: IAM deletes a role only once it has no policies left. */
export function planRoleDeletion(live: RoleState | undefined): RoleChange[] {
  if (!live) return [];
  return [
    ...Object.keys(live.inlinePolicies).map(
      (policyName): RoleChange => ({ kind: 'deleteInlinePolicy', policyName }),
    ),
    ...live.managedPolicyArns.map((policyArn): RoleChange => ({ kind: 'detachManagedPolicy', policyArn })),
    { kind: 'deleteRole' },
  ];
}

function policyChanges(desired: RoleState, live: RoleState): RoleChange[] {
  const changes: RoleChange[] = [];
  for (const [policyName, document] of Object.entries(desired.inlinePolicies)) {
    const current = live.inlinePolicies[policyName];
    if (current === undefined || !sameDocument(document, current)) {
      changes.push({ kind: 'putInlinePolicy', policyName });
    }
  }
  for (const policyName of Object.keys(live.inlinePolicies)) {
    if (!(policyName in desired.inlinePolicies) && !isSessionRevocation(policyName)) {
      changes.push({ kind: 'deleteInlinePolicy', policyName });
    }
  }
  for (const policyArn of desired.managedPolicyArns) {
    if (!live.managedPolicyArns.includes(policyArn)) changes.push({ kind: 'attachManagedPolicy', policyArn });
  }
  for (const policyArn of live.managedPolicyArns) {
    if (!desired.managedPolicyArns.includes(policyArn))
      changes.push({ kind: 'detachManagedPolicy', policyArn });
  }
  return changes;
}

/**
 * The inline policy session revocation keeps on every staxid role (ADR 0013) is not the
 * permission set's and not drift: removing it would give a disabled user's sessions their
 * access back. Only the role's deletion removes it (planRoleDeletion).
 */
function isSessionRevocation(policyName: string): boolean {
  return policyName === REVOCATION_POLICY_NAME;
}

/** Whether two policy documents say the same, whatever their key order and whitespace. */
export function sameDocument(a: string, b: string): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

function canonicalJson(document: string): string {
  try {
    return JSON.stringify(sortKeys(JSON.parse(document)));
  } catch {
    return document;
  }
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, inner]) => [key, sortKeys(inner)]),
  );
}
