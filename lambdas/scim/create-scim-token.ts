import { type ScimTokenDeps, scimTokenDepsFromEnv } from '@/lambdas/scim/deps';
import {
  type CreateScimTokenBody,
  createScimToken,
  parseCreateScimTokenBody,
} from '@/lambdas/scim/scim-tokens';
import { apiHandler } from '@/lambdas/shared/api';
import { once } from '@/lambdas/shared/deps';

/** POST /20190206/scim-tokens (scim.CreateScimToken): `{Id, Token, CreatedTS, ExpiresTS}`, the Token shown this once. */
export function createScimTokenHandler(deps: () => ScimTokenDeps) {
  return apiHandler<CreateScimTokenBody>(
    { operationId: 'scim.CreateScimToken', parseBody: parseCreateScimTokenBody },
    async ({ caller, body, requestId }) => ({
      status: 201,
      body: await createScimToken(deps(), caller, body, requestId),
    }),
  );
}

export const handler = createScimTokenHandler(once(() => scimTokenDepsFromEnv()));
