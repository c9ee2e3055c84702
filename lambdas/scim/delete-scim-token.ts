import { type ScimTokenDeps, scimTokenDepsFromEnv } from '@/lambdas/scim/deps';
import { deleteScimToken } from '@/lambdas/scim/scim-tokens';
import { apiHandler } from '@/lambdas/shared/api';
import { once } from '@/lambdas/shared/deps';

/** DELETE /20190206/scim-tokens/{id} (scim.DeleteScimToken): the token stops working at once. */
export function deleteScimTokenHandler(deps: () => ScimTokenDeps) {
  return apiHandler(
    { operationId: 'scim.DeleteScimToken' },
    async ({ caller, pathParameters, requestId }) => {
      const id = pathParameters.id ?? '';
      await deleteScimToken(deps(), caller, id, requestId);
      return { body: { Id: id.toLowerCase(), Status: 'DELETED' } };
    },
  );
}

export const handler = deleteScimTokenHandler(once(() => scimTokenDepsFromEnv()));
