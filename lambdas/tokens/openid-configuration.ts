import { issuerFromEnv } from '@/lambdas/auth/staxid-access-token';
import { json } from '@/lambdas/shared/http';
import { logger } from '@/lambdas/shared/logger';
import { DISCOVERY_CACHE_CONTROL, openIdConfiguration } from '@/lambdas/tokens/discovery';
import { publicEndpoint } from '@/lambdas/tokens/public-endpoint';

/** `GET /.well-known/openid-configuration`: issuer, token endpoint, JWKS. */
export const handler = publicEndpoint(
  async () => json(200, openIdConfiguration(issuerFromEnv()), { 'Cache-Control': DISCOVERY_CACHE_CONTROL }),
  logger,
);
