import type { PreTokenGenerationV2TriggerEvent } from 'aws-lambda';
import { type Db, dbFromEnv } from '@/lambdas/shared/db';
import { signInIdentity } from '@/lambdas/triggers/federation';
import { staxidClaims } from '@/lambdas/triggers/staxid-claims';

/**
 * Cognito pre-token-generation trigger (event version V2_0, Plus feature plan): adds the
 * staxid claims to the ID and access tokens at every sign-in and refresh, and refuses
 * tokens to a user who is not ACTIVE. It writes nothing: state changes belong to the
 * post-authentication trigger, which runs once per sign-in (ADR 0009, ADR 0016).
 */
export function createPreTokenGenerationHandler(db: () => Db) {
  return async (event: PreTokenGenerationV2TriggerEvent): Promise<PreTokenGenerationV2TriggerEvent> => {
    const claims = await staxidClaims(db(), signInIdentity(event.userName, event.request.userAttributes));
    event.response = {
      claimsAndScopeOverrideDetails: {
        ...event.response.claimsAndScopeOverrideDetails,
        idTokenGeneration: { claimsToAddOrOverride: { ...claims } },
        accessTokenGeneration: { claimsToAddOrOverride: { ...claims } },
      },
    };
    return event;
  };
}

let shared: Db | undefined;

/** The table client is built once per container, on the first token issue. */
export const handler = createPreTokenGenerationHandler(() => {
  shared ??= dbFromEnv();
  return shared;
});
