import { assertAllowed, type Caller, OPERATION_ACCESS, type OperationId } from '@/lambdas/shared/permissions';
import { API_ROLES, mayGrant, type StaxRole, USER_ROLES } from '@/lambdas/shared/roles';

const ROLES: readonly StaxRole[] = [...USER_ROLES, ...API_ROLES];
const OPERATIONS = Object.keys(OPERATION_ACCESS) as OperationId[];

function caller(role: StaxRole, id = 'caller-id'): Caller {
  return { kind: role.startsWith('api_') ? 'token' : 'user', id, role };
}

function allowed(operationId: OperationId, role: StaxRole, target?: string): boolean {
  try {
    assertAllowed(operationId, caller(role), target);
    return true;
  } catch {
    return false;
  }
}

/** The Stax rules, written out independently of the table. */
function expected(operationId: OperationId, role: StaxRole, target?: string): boolean {
  const admin = role === 'customer_admin' || role === 'api_admin';
  const isRead = /\.(Read|Fetch|List|Get)/.test(operationId);
  const isPublic = ['public.ReadConfig', 'saml.ReadMetadata', 'permissionSets.GetAPIDocument'];
  if (isPublic.includes(operationId)) return true;
  // SCIM tokens are credentials of provisioning systems: only Admins see them.
  if (operationId.startsWith('scim.')) return admin;
  // Anyone signed in may sign in to AWS or ask for support access; the domain narrows it.
  if (operationId === 'aws.SignIn' || operationId === 'support.CreateSupportAccessGrant') return true;
  // The audit trail is for Admins only, read or not.
  if (operationId === 'audit.ReadAuditEvents') return admin;
  if (operationId === 'teams.UpdateUser')
    return admin || (!role.startsWith('api_') && target === 'caller-id');
  return admin || isRead;
}

describe('assertAllowed', () => {
  test.each(OPERATIONS.flatMap((operation) => ROLES.map((role) => [operation, role] as const)))(
    '%s as %s follows the Stax role rules',
    (operation, role) => {
      expect(allowed(operation, role)).toBe(expected(operation, role));
    },
  );

  it('lets a user update themselves but not another user', () => {
    expect(allowed('teams.UpdateUser', 'customer_readonly', 'caller-id')).toBe(true);
    expect(allowed('teams.UpdateUser', 'customer_readonly', 'someone-else')).toBe(false);
    expect(allowed('teams.UpdateUser', 'api_user', 'caller-id')).toBe(false);
  });

  it('explains a refusal with the operation and the role', () => {
    expect(() => assertAllowed('teams.DeleteUser', caller('customer_user'))).toThrow(
      'teams.DeleteUser needs an Admin role; your role is customer_user',
    );
  });
});

describe('mayGrant', () => {
  it.each<[StaxRole, StaxRole, boolean]>([
    ['customer_admin', 'api_admin', true],
    ['api_admin', 'customer_admin', true],
    ['api_user', 'api_admin', false],
    ['api_user', 'api_user', true],
    ['customer_user', 'api_readonly', true],
    ['customer_readonly', 'api_user', false],
    ['customer_costadmin', 'api_user', false],
    ['customer_costadmin', 'api_readonly', true],
  ])('%s granting %s: %s', (holder, granted, result) => {
    expect(mayGrant(holder, granted)).toBe(result);
  });
});
