import { apiHandler } from '@/lambdas/shared/api';
import { filterFromQuery } from '@/lambdas/tokens/api-tokens';
import { apiTokenServiceFromEnv } from '@/lambdas/tokens/dependencies';

/** teams.ReadApiToken: `GET /20190206/api-tokens/{AccessKey}`; a DELETED token only with `status=DELETED`. */
export const handler = apiHandler(
  { operationId: 'teams.ReadApiToken' },
  async ({ pathParameters, query }) => ({
    body: {
      ApiTokens: [await apiTokenServiceFromEnv().get(pathParameters.AccessKey ?? '', filterFromQuery(query))],
    },
  }),
);
