import { auditSinkFromEnv } from '@/lambdas/shared/audit';
import { readDepsFromEnv, type ServiceDeps } from '@/lambdas/tasks/deps';

/** The dependencies of a function that changes data; the audit sink is built at its first write. */
export function serviceDepsFromEnv(env: NodeJS.ProcessEnv = process.env): ServiceDeps {
  return {
    ...readDepsFromEnv(env),
    audit: { write: async (event) => auditSinkFromEnv(env).write(event) },
  };
}
