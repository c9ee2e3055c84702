import { apiHandler } from '@/lambdas/shared/api';
import { filterFromQuery } from '@/lambdas/tokens/api-tokens';
import { apiTokenServiceFromEnv } from '@/lambdas/tokens/dependencies';

/** teams.ReadApiTokens: `GET /20190206/api-tokens?id_filter=&status=` (ACTIVE by default). */
export const handler = apiHandler({ operationId: 'teams.ReadApiTokens' }, async ({ query }) => ({
  body: { ApiTokens: await apiTokenServiceFromEnv().list(filterFromQuery(query)) },
}));
