import { apiHandler } from '@/lambdas/shared/api';
import { apiTokenServiceFromEnv } from '@/lambdas/tokens/dependencies';

/** teams.DeleteApiToken: Status DELETED; the token and every JWT issued to it stop working. */
export const handler = apiHandler(
  { operationId: 'teams.DeleteApiToken' },
  async ({ caller, pathParameters, requestId }) => ({
    body: {
      ApiTokens: [await apiTokenServiceFromEnv().delete(caller, pathParameters.AccessKey ?? '', requestId)],
    },
  }),
);
