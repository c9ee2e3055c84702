import { once } from '@/lambdas/shared/deps';
import { assertKnownQuery, uuidParam } from '@/lambdas/shared/input';
import { supportDepsFromEnv } from '@/lambdas/support/deps';
import { parseApproveGrant } from '@/lambdas/support/grant-input';
import { jsonBodyHandler } from '@/lambdas/support/json-body-handler';
import { approveGrant, type SupportDeps } from '@/lambdas/support/support-access';

/** PUT /20190206/support-access/{grant_id}/approve (support.ApproveSupportAccessGrant, Admin; body `{RoleName?}`). */
export function approveSupportAccessGrantHandler(deps: () => SupportDeps) {
  return jsonBodyHandler('support.ApproveSupportAccessGrant', async (request) => {
    const grantId = uuidParam(request.pathParameters, 'grant_id');
    assertKnownQuery(request.query, []);
    const change = parseApproveGrant(request.body);
    return { body: { SupportAccessGrants: [await approveGrant(deps(), request, grantId, change)] } };
  });
}

export const handler = approveSupportAccessGrantHandler(once(() => supportDepsFromEnv()));
