import { outboxAuditSinkFromEnv } from '@/lambdas/shared/audit-outbox';
import { readDepsFromEnv, type ServiceDeps } from '@/lambdas/shared/deps';

/** The dependencies of a function that changes data: its audit events go to the table's outbox. */
export function serviceDepsFromEnv(env: NodeJS.ProcessEnv = process.env): ServiceDeps {
  return {
    ...readDepsFromEnv(env),
    audit: outboxAuditSinkFromEnv(env),
  };
}
