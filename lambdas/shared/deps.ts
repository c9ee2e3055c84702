import type { AuditSink } from '@/lambdas/shared/audit';
import { type Clock, type Db, dbFromEnv, systemClock } from '@/lambdas/shared/db';
import { ORGANISATION_ID_ENV } from '@/lambdas/shared/ids';
import { logger as defaultLogger, type Logger } from '@/lambdas/shared/logger';

/**
 * What the domain code of groups, account types, accounts and tasks needs, handed in
 * rather than reached for: tests pass a test table, a frozen clock and a MemoryAuditSink.
 * Reads need no audit sink: their functions do not bundle it (see write-deps.ts).
 */
export interface ReadDeps {
  readonly db: Db;
  readonly clock: Clock;
  /** The installation's Stax OrganisationId (`STAXID_ORGANISATION_ID`). */
  readonly organisationId: string;
  readonly logger: Logger;
}

/** What a change needs: the reads' dependencies and the audit sink. */
export interface ServiceDeps extends ReadDeps {
  readonly audit: AuditSink;
}

/** A required environment variable is missing: the function was deployed without its configuration. */
export class ServiceConfigError extends Error {
  readonly code = 'ServiceConfigError';

  constructor(variable: string) {
    super(`environment variable ${variable} is not set`);
    this.name = 'ServiceConfigError';
  }
}

export function requiredEnv(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (value === undefined || value === '') throw new ServiceConfigError(name);
  return value;
}

export function readDepsFromEnv(env: NodeJS.ProcessEnv = process.env): ReadDeps {
  return {
    db: dbFromEnv(env),
    clock: systemClock,
    organisationId: requiredEnv(env, ORGANISATION_ID_ENV),
    logger: defaultLogger,
  };
}

/**
 * Builds a value on first use and keeps it for the life of the container: handlers read
 * their configuration when the first request arrives, so importing a handler never fails.
 */
export function once<T>(build: () => T): () => T {
  let value: T | undefined;
  let built = false;
  return () => {
    if (!built) {
      value = build();
      built = true;
    }
    return value as T;
  };
}
