import { apiHandler } from '@/lambdas/shared/api';
import { teams_UpdateApiToken } from '@/lambdas/shared/generated/request-validators';
import type { UpdateApiTokenBody } from '@/lambdas/tokens/api-tokens';
import { apiTokenServiceFromEnv } from '@/lambdas/tokens/dependencies';

/** teams.UpdateApiToken: Description, Role (never above the caller's), Tags. */
export const handler = apiHandler<UpdateApiTokenBody>(
  { operationId: 'teams.UpdateApiToken', requestSchema: teams_UpdateApiToken },
  async ({ caller, body, pathParameters, requestId }) => ({
    body: {
      ApiTokens: [
        await apiTokenServiceFromEnv().update(caller, pathParameters.AccessKey ?? '', body, requestId),
      ],
    },
  }),
);
