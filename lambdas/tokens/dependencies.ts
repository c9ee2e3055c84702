import { outboxAuditSinkFromEnv } from '@/lambdas/shared/audit-outbox';
import { dbFromEnv, systemClock } from '@/lambdas/shared/db';
import type { SecretHasher } from '@/lambdas/shared/secrets';
import { ApiTokenService } from '@/lambdas/tokens/api-tokens';

/**
 * The API token service as a deployed function builds it: from its environment, on first
 * use (so importing a handler never needs configuration), sharing the clients that are
 * built once per container. Only CreateApiToken hashes secrets: the other handlers pass no
 * hasher, so their bundles carry no KMS client.
 */

const NO_HASHER: SecretHasher = {
  hash: async () => {
    throw new Error('this function is not configured to hash secrets');
  },
};

export function apiTokenServiceFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  hasher: SecretHasher = NO_HASHER,
): ApiTokenService {
  return new ApiTokenService({
    db: dbFromEnv(env),
    clock: systemClock,
    audit: outboxAuditSinkFromEnv(env),
    hasher,
  });
}
