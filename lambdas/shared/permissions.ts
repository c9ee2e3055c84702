import { ForbiddenError } from '@/lambdas/shared/errors';
import { hasLevel, type StaxRole } from '@/lambdas/shared/roles';

/**
 * The one table of operation × role (ARCHITECTURE §4). Every API operation is listed;
 * the API middleware refuses an operation missing from it.
 *
 * - `public`: no caller needed.
 * - `read`: any authenticated caller (Admin, User, Read Only, Cost & Compliance Admin, any API token).
 * - `user`: Admin or User level (users and tokens alike).
 * - `admin`: Admin level only.
 * - `admin-or-self`: Admin, or the caller acting on their own user (the domain narrows what "self" may change).
 */
export type Access = 'public' | 'read' | 'user' | 'admin' | 'admin-or-self';

export const OPERATION_ACCESS = {
  // public
  'public.ReadConfig': 'public',
  // users
  'teams.ReadUsers': 'read',
  'teams.ReadUser': 'read',
  'teams.FetchCurrentUser': 'read',
  'teams.ReadIdamUsers': 'read',
  'teams.ReadIdamUser': 'read',
  'teams.CreateUser': 'admin',
  'teams.UpdateUser': 'admin-or-self',
  'teams.UpdateUserInvite': 'admin',
  'teams.UpdateUserPassword': 'admin',
  'teams.DeleteUser': 'admin',
  // groups
  'teams.ReadGroups': 'read',
  'teams.ReadGroup': 'read',
  'teams.CreateGroup': 'admin',
  'teams.UpdateGroup': 'admin',
  'teams.DeleteGroup': 'admin',
  'teams.UpdateGroupMembers': 'admin',
  // API tokens
  'teams.ReadApiTokens': 'read',
  'teams.ReadApiToken': 'read',
  'teams.CreateApiToken': 'admin',
  'teams.UpdateApiToken': 'admin',
  'teams.DeleteApiToken': 'admin',
  // account types and access
  'accounts.ReadAccountTypes': 'read',
  'accounts.ReadAccountType': 'read',
  'accounts.CreateAccountType': 'admin',
  'accounts.UpdateAccountType': 'admin',
  'accounts.DeleteAccountType': 'admin',
  'accounts.UpdateAccountTypeAccess': 'admin',
  'accounts.UpdateAccountTypeMembers': 'admin',
  // accounts
  'accounts.ReadAccounts': 'read',
  'accounts.ReadAccount': 'read',
  'accounts.DiscoverAccounts': 'admin',
  // tasks
  'tasks.ReadTask': 'read',
  // AWS sign-in (ARCHITECTURE §2 step 4): any signed-in person; the domain narrows it to
  // the (account, role) pairs they hold. API tokens are not people: refused by the domain.
  'aws.ReadMyRoles': 'read',
  'aws.SignIn': 'read',
  'saml.ReadMetadata': 'public',
  // Support access: a support engineer asks (the domain checks the support group), an
  // Admin approves or revokes; both may read.
  'support.ReadSupportAccessGrants': 'read',
  'support.ReadSupportAccessGrant': 'read',
  'support.CreateSupportAccessGrant': 'read',
  'support.ApproveSupportAccessGrant': 'admin',
  'support.RevokeSupportAccessGrant': 'admin',
  'audit.ReadAuditEvents': 'admin',
  // SCIM bearer tokens (ARCHITECTURE §4): Admin only, read or not. The SCIM routes themselves
  // authenticate those tokens, not people.
  'scim.CreateScimToken': 'admin',
  'scim.ReadScimTokens': 'admin',
  'scim.DeleteScimToken': 'admin',
  // Permission sets (/20210321): Admin changes, everyone reads; ListMyRoles is for people.
  'permissionSets.ListPermissionSets': 'read',
  'permissionSets.CreatePermissionSet': 'admin',
  'permissionSets.GetPermissionSet': 'read',
  'permissionSets.UpdatePermissionSet': 'admin',
  'permissionSets.DeletePermissionSet': 'admin',
  'permissionSets.ListAWSManagedPolicies': 'read',
  'permissionSets.ListRoles': 'read',
  'permissionSets.ListMyRoles': 'read',
  'permissionSets.ListPermissionSetAssignments': 'read',
  'permissionSets.ListPermissionSetDeployments': 'read',
  'permissionSets.CreatePermissionSetAssignments': 'admin',
  'permissionSets.DeletePermissionSetAssignment': 'admin',
  'permissionSets.RedeployPermissionSetAssignment': 'admin',
  'permissionSets.GetAPIDocument': 'public',
} as const satisfies Record<string, Access>;

export type OperationId = keyof typeof OPERATION_ACCESS;

/** The caller of an authenticated request, as the authorizer resolved it. */
export interface Caller {
  /** A person signed in through Cognito, or an API token. */
  readonly kind: 'user' | 'token';
  /** The user's id, or the token's AccessKey. */
  readonly id: string;
  readonly role: StaxRole;
}

const MINIMUM_LEVEL = { read: 'readonly', user: 'user', admin: 'admin' } as const;

/**
 * Throws ForbiddenError unless the caller's role allows the operation. For
 * `admin-or-self`, `targetUserId` is the user the request acts on.
 */
export function assertAllowed(operationId: OperationId, caller: Caller, targetUserId?: string): void {
  const access: Access = OPERATION_ACCESS[operationId];
  if (access === 'public') return;
  if (access === 'admin-or-self') {
    if (hasLevel(caller.role, 'admin')) return;
    if (caller.kind === 'user' && targetUserId !== undefined && caller.id === targetUserId) return;
    throw new ForbiddenError(
      `${operationId} on another user needs an Admin role; your role is ${caller.role}`,
    );
  }
  if (!hasLevel(caller.role, MINIMUM_LEVEL[access])) {
    throw new ForbiddenError(
      `${operationId} needs an ${MINIMUM_LEVEL[access] === 'admin' ? 'Admin' : 'Admin or User'} role; your role is ${caller.role}`,
    );
  }
}
