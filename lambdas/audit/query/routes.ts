import type { RouteDefinition } from '@/lambdas/routes';

/** The audit query: events of the audit trail, read from the Audit bucket (or `$STAXID_HOME/audit/`). */
export const AUDIT_ROUTES: readonly RouteDefinition[] = [
  {
    operationId: 'audit.ReadAuditEvents',
    method: 'GET',
    path: '/20190206/audit/events',
    handler: 'lambdas/audit/query/read-audit-events.ts',
    auth: 'bearer',
    summary:
      'Audit events, newest first; filters: type, user_id, account_id, from, to (at most 31 days, default the last 24 h), limit, next_token, corroborate (with type=aws.SignIn).',
    tag: 'Audit',
    grants: ['audit:read'],
  },
];
