import { type ScimTokenDeps, scimTokenDepsFromEnv } from '@/lambdas/scim/deps';
import { readScimTokens } from '@/lambdas/scim/scim-tokens';
import { apiHandler } from '@/lambdas/shared/api';
import { once } from '@/lambdas/shared/deps';

/** GET /20190206/scim-tokens (scim.ReadScimTokens): the active tokens with `ExpiresTS` and `Expired`, never their secrets. */
export function readScimTokensHandler(deps: () => ScimTokenDeps) {
  return apiHandler({ operationId: 'scim.ReadScimTokens' }, async () => ({
    body: { ScimTokens: await readScimTokens(deps()) },
  }));
}

export const handler = readScimTokensHandler(once(() => scimTokenDepsFromEnv()));
