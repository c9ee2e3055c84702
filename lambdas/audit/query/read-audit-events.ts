import { readAuditEventPage } from '@/lambdas/audit/query/audit-events';
import { encodePageToken, parseAuditQuery } from '@/lambdas/audit/query/audit-query';
import { corroborateSignIns } from '@/lambdas/audit/query/corroboration';
import { type AuditQueryDeps, auditQueryDepsFromEnv } from '@/lambdas/audit/query/deps';
import { apiHandler } from '@/lambdas/shared/api';

/**
 * audit.ReadAuditEvents: GET /20190206/audit/events (Admin). Events newest first, as
 * stored; with `corroborate=true` each successful AWS sign-in carries a Corroboration.
 */
export function readAuditEventsHandler(deps: () => AuditQueryDeps = auditQueryDepsFromEnv) {
  return apiHandler({ operationId: 'audit.ReadAuditEvents' }, async (request) => {
    const { store, cloudTrail, clock, logger, budget } = deps();
    const query = parseAuditQuery(request.query, clock.now().getTime());
    const page = await readAuditEventPage(store, query, budget);
    const events = query.corroborate
      ? await corroborateSignIns(page.events, cloudTrail, logger)
      : page.events;
    return {
      body: {
        Events: events,
        ...(page.cursor && { NextToken: encodePageToken(query, page.cursor) }),
      },
    };
  });
}

export const handler = readAuditEventsHandler();
