import { apiHandler } from '@/lambdas/shared/api';
import { once } from '@/lambdas/shared/deps';
import { assertKnownQuery, uuidParam } from '@/lambdas/shared/input';
import { supportDepsFromEnv } from '@/lambdas/support/deps';
import { revokeGrant, type SupportDeps } from '@/lambdas/support/support-access';

/** PUT /20190206/support-access/{grant_id}/revoke (support.RevokeSupportAccessGrant, Admin; no body). */
export function revokeSupportAccessGrantHandler(deps: () => SupportDeps) {
  return apiHandler({ operationId: 'support.RevokeSupportAccessGrant' }, async (request) => {
    const grantId = uuidParam(request.pathParameters, 'grant_id');
    assertKnownQuery(request.query, []);
    return { body: { SupportAccessGrants: [await revokeGrant(deps(), request, grantId)] } };
  });
}

export const handler = revokeSupportAccessGrantHandler(once(() => supportDepsFromEnv()));
