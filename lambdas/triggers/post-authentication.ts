import type { PostAuthenticationTriggerEvent } from 'aws-lambda';
import { outboxAuditSinkFromEnv } from '@/lambdas/shared/audit-outbox';
import { dbFromEnv, systemClock } from '@/lambdas/shared/db';
import { type SignInDeps, signIn } from '@/lambdas/triggers/sign-in';

/**
 * Cognito post-authentication trigger of the user pool: after Cognito has checked the
 * password (and MFA), staxid decides from the user item whether the sign-in goes ahead
 * (see sign-in.ts). An error thrown here makes Cognito refuse the sign-in and show the
 * error's message; returning the event lets it through.
 */
export function createPostAuthenticationHandler(deps: () => SignInDeps) {
  return async (event: PostAuthenticationTriggerEvent): Promise<PostAuthenticationTriggerEvent> => {
    await signIn(deps(), event.userName);
    return event;
  };
}

let shared: SignInDeps | undefined;

/** Built once per container, from the environment, on the first sign-in. */
export const handler = createPostAuthenticationHandler(() => {
  shared ??= { db: dbFromEnv(), clock: systemClock, audit: outboxAuditSinkFromEnv() };
  return shared;
});
