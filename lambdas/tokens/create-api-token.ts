import { apiHandler } from '@/lambdas/shared/api';
import { teams_CreateApiToken } from '@/lambdas/shared/generated/request-validators';
import type { CreateApiTokenBody } from '@/lambdas/tokens/api-tokens';
import { apiTokenServiceFromEnv } from '@/lambdas/tokens/dependencies';
import { hasherFromEnv } from '@/lambdas/tokens/secret-hasher';

/** teams.CreateApiToken: the new token with its SecretKey, returned this once. */
export const handler = apiHandler<CreateApiTokenBody>(
  { operationId: 'teams.CreateApiToken', requestSchema: teams_CreateApiToken },
  async ({ caller, body, requestId }) => {
    const { token, secretKey } = await apiTokenServiceFromEnv(process.env, hasherFromEnv()).create(
      caller,
      body,
      requestId,
    );
    return { body: { ApiTokens: [{ ...token, SecretKey: secretKey }] } };
  },
);
