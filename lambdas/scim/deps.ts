import type { AuditSink } from '@/lambdas/shared/audit';
import { outboxAuditSinkFromEnv } from '@/lambdas/shared/audit-outbox';
import { type Clock, type Db, dbFromEnv, systemClock } from '@/lambdas/shared/db';
import { requiredEnv } from '@/lambdas/shared/deps';
import { directoryFromEnv, type UserDirectory } from '@/lambdas/shared/directory';
import { ORGANISATION_ID_ENV } from '@/lambdas/shared/ids';
import { logger as defaultLogger, type Logger } from '@/lambdas/shared/logger';
import type { SecretHasher } from '@/lambdas/shared/secrets';
import { hasherFromEnv } from '@/lambdas/tokens/secret-hasher';

/**
 * What the SCIM server and the SCIM token operations need, handed in: tests pass a
 * DynamoDB Local table, a MemoryAuditSink, the local secret hasher and cognito-local.
 */
export interface ScimDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly audit: AuditSink;
  /** Hashes SCIM token secrets, as API token secrets are hashed (lambdas/shared/secrets.ts). */
  readonly hasher: SecretHasher;
  /** Cognito: a SCIM user who has signed in has a pool user, disabled and deleted with them. */
  readonly directory: UserDirectory;
  readonly organisationId: string;
  readonly logger: Logger;
}

/** What the SCIM token operations need: no user directory. */
export type ScimTokenDeps = Pick<ScimDeps, 'db' | 'clock' | 'audit' | 'hasher' | 'logger'>;

/**
 * The hasher of the function's environment, resolved when a secret is first hashed: the
 * token listing and deletion never hash, so they need neither the KMS key nor its grant.
 */
function lazyHasher(env: NodeJS.ProcessEnv): SecretHasher {
  return { hash: (secret) => hasherFromEnv(env).hash(secret) };
}

/** The token operations' dependencies from the function's environment. */
export function scimTokenDepsFromEnv(env: NodeJS.ProcessEnv = process.env): ScimTokenDeps {
  return {
    db: dbFromEnv(env),
    clock: systemClock,
    audit: outboxAuditSinkFromEnv(env),
    hasher: lazyHasher(env),
    logger: defaultLogger,
  };
}

/** The dependencies from the function's environment (table, outbox, KMS HMAC key or local key, user pool). */
export function scimDepsFromEnv(env: NodeJS.ProcessEnv = process.env): ScimDeps {
  return {
    db: dbFromEnv(env),
    clock: systemClock,
    audit: outboxAuditSinkFromEnv(env),
    hasher: lazyHasher(env),
    directory: directoryFromEnv(env),
    organisationId: requiredEnv(env, ORGANISATION_ID_ENV),
    logger: defaultLogger,
  };
}
