import type { RouteDefinition } from '@/lambdas/routes';

/** The routes of support access (ARCHITECTURE §2.6, §4): ask, approve, revoke, read. */
export const SUPPORT_ROUTES: readonly RouteDefinition[] = [
  {
    operationId: 'support.CreateSupportAccessGrant',
    method: 'POST',
    path: '/20190206/support-access',
    handler: 'lambdas/support/create-support-access-grant.ts',
    auth: 'bearer',
    summary:
      'A support engineer (member of the support group), or an Admin on their behalf, asks for access to accounts for a support case: a PENDING grant.',
    tag: 'Support access',
    grants: ['table:write'],
  },
  {
    operationId: 'support.ReadSupportAccessGrants',
    method: 'GET',
    path: '/20190206/support-access',
    handler: 'lambdas/support/read-support-access-grants.ts',
    auth: 'bearer',
    summary:
      'Support access grants, newest first: every grant for an Admin, the caller’s own for anyone else.',
    tag: 'Support access',
    grants: ['table:read'],
  },
  {
    operationId: 'support.ReadSupportAccessGrant',
    method: 'GET',
    path: '/20190206/support-access/{grant_id}',
    handler: 'lambdas/support/read-support-access-grant.ts',
    auth: 'bearer',
    summary: 'One support access grant, with its status (PENDING, ACTIVE, REVOKED, EXPIRED).',
    tag: 'Support access',
    grants: ['table:read'],
  },
  {
    operationId: 'support.ApproveSupportAccessGrant',
    method: 'PUT',
    path: '/20190206/support-access/{grant_id}/approve',
    handler: 'lambdas/support/approve-support-access-grant.ts',
    auth: 'bearer',
    summary:
      'An Admin other than the engineer and the requester approves a PENDING grant, optionally in another built-in role: ACTIVE for DurationHours from now.',
    tag: 'Support access',
    grants: ['table:write'],
  },
  {
    operationId: 'support.RevokeSupportAccessGrant',
    method: 'PUT',
    path: '/20190206/support-access/{grant_id}/revoke',
    handler: 'lambdas/support/revoke-support-access-grant.ts',
    auth: 'bearer',
    summary: 'An Admin ends a PENDING or ACTIVE grant at once.',
    tag: 'Support access',
    grants: ['table:write'],
  },
];
