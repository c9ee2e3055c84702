import type { PostAuthenticationTriggerEvent } from 'aws-lambda';
import { outboxAuditSinkFromEnv } from '@/lambdas/shared/audit-outbox';
import { dbFromEnv, systemClock } from '@/lambdas/shared/db';
import { type FederatedSignInDeps, federatedSignIn } from '@/lambdas/triggers/federated-sign-in';
import { federationRolesFromEnv, signInIdentity } from '@/lambdas/triggers/federation';
import { signIn } from '@/lambdas/triggers/sign-in';

/**
 * Cognito post-authentication trigger of the user pool: after Cognito has checked the
 * password (and MFA), or the corporate IdP has vouched for a federated user, staxid
 * decides from the user item whether the sign-in goes ahead (sign-in.ts for local users,
 * federated-sign-in.ts for SAML and OIDC users, provisioned on their first sign-in). An
 * error thrown here makes Cognito refuse the sign-in and show the error's message;
 * returning the event lets it through.
 */
export function createPostAuthenticationHandler(deps: () => FederatedSignInDeps) {
  return async (event: PostAuthenticationTriggerEvent): Promise<PostAuthenticationTriggerEvent> => {
    const identity = signInIdentity(event.userName, event.request.userAttributes);
    if (identity.kind === 'local') await signIn(deps(), identity.userId);
    else await federatedSignIn(deps(), identity);
    return event;
  };
}

let shared: FederatedSignInDeps | undefined;

/** Built once per container, from the environment, on the first sign-in. */
export const handler = createPostAuthenticationHandler(() => {
  shared ??= {
    db: dbFromEnv(),
    clock: systemClock,
    audit: outboxAuditSinkFromEnv(),
    roles: federationRolesFromEnv(),
  };
  return shared;
});
