import { json } from '@/lambdas/shared/http';
import { logger } from '@/lambdas/shared/logger';
import { signerFromEnv } from '@/lambdas/shared/signing';
import { DISCOVERY_CACHE_CONTROL } from '@/lambdas/tokens/discovery';
import { publicEndpoint } from '@/lambdas/tokens/public-endpoint';

/** `GET /.well-known/jwks.json`: the public key that verifies staxid's access tokens (kms:GetPublicKey, cached). */
export const handler = publicEndpoint(
  async () =>
    json(200, { keys: [await signerFromEnv().publicJwk()] }, { 'Cache-Control': DISCOVERY_CACHE_CONTROL }),
  logger,
);
