import { apiHandler } from '@/lambdas/shared/api';
import { once } from '@/lambdas/shared/deps';
import { assertKnownQuery } from '@/lambdas/shared/input';
import { supportDepsFromEnv } from '@/lambdas/support/deps';
import { type CreateGrantInput, parseCreateGrant } from '@/lambdas/support/grant-input';
import { createGrant, type SupportDeps } from '@/lambdas/support/support-access';

/** POST /20190206/support-access (support.CreateSupportAccessGrant): 201 and the PENDING grant. */
export function createSupportAccessGrantHandler(deps: () => SupportDeps) {
  return apiHandler<CreateGrantInput>(
    { operationId: 'support.CreateSupportAccessGrant', parseBody: parseCreateGrant },
    async (request) => {
      assertKnownQuery(request.query, []);
      return {
        status: 201,
        body: { SupportAccessGrants: [await createGrant(deps(), request, request.body)] },
      };
    },
  );
}

export const handler = createSupportAccessGrantHandler(once(() => supportDepsFromEnv()));
