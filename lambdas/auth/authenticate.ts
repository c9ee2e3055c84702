import type { APIGatewayProxyEvent } from 'aws-lambda';
import { resolveCaller } from '@/lambdas/auth/resolve-caller';
import { TokenRejectedError, type TrustedIssuer, verifyBearerToken } from '@/lambdas/auth/verify-token';
import { CALLER_CONTEXT } from '@/lambdas/shared/caller-context';
import type { Db } from '@/lambdas/shared/db';
import type { Caller } from '@/lambdas/shared/permissions';

/**
 * Authentication of every API request, shared by the Lambda authorizer (AWS) and the local
 * API Gateway's authorizer hook (`npm start`): verify the bearer token against the trusted
 * issuers, then resolve the caller from the table (one GetItem).
 */

export { CALLER_CONTEXT };

export interface AuthenticatorDependencies {
  /** The trusted issuers; resolved on first use so their key caches live as long as the container. */
  readonly issuers: () => readonly TrustedIssuer[];
  /** The table holding users and API tokens. */
  readonly db: () => Db;
  /** @default the system clock */
  readonly now?: () => Date;
}

/** Verifies `Authorization: Bearer <jwt>` and returns the ACTIVE caller; throws `TokenRejectedError` otherwise. */
export async function authenticate(
  authorization: string | undefined,
  deps: AuthenticatorDependencies,
): Promise<Caller> {
  const principal = await verifyBearerToken(authorization, {
    issuers: deps.issuers(),
    ...(deps.now && { now: deps.now }),
  });
  return resolveCaller(deps.db(), principal);
}

/** The authorizer context that carries a caller to the handlers. */
export function callerContext(caller: Caller): Record<string, string> {
  return {
    [CALLER_CONTEXT.kind]: caller.kind,
    [CALLER_CONTEXT.id]: caller.id,
    [CALLER_CONTEXT.role]: caller.role,
  };
}

/** Where rejections are reported; `detail` never holds token content. */
export type RejectionLog = (entry: { readonly reason: string; readonly detail: string }) => void;

/** A rejection as it is logged: the reason and a safe description. */
export function rejectionEntry(error: unknown): { reason: string; detail: string } {
  if (error instanceof TokenRejectedError) return { reason: error.reason, detail: error.message };
  return { reason: 'error', detail: error instanceof Error ? error.message : 'unknown error' };
}

/** What the local API Gateway does with a request (its `AuthorizerDecision`). */
export type LocalAuthorizerDecision =
  | {
      readonly effect: 'allow';
      readonly principalId: string;
      readonly context: Readonly<Record<string, string>>;
    }
  | { readonly effect: 'unauthorized' };

/**
 * The local runtime's authorizer hook: the same verification and caller resolution as the
 * Lambda authorizer, without a decision cache (a deleted token is refused on the next call).
 */
export function createLocalAuthorizer(
  deps: AuthenticatorDependencies & { readonly logRejection: RejectionLog },
): (event: APIGatewayProxyEvent) => Promise<LocalAuthorizerDecision> {
  return async (event) => {
    try {
      const caller = await authenticate(headerValue(event, 'authorization'), deps);
      return { effect: 'allow', principalId: caller.id, context: callerContext(caller) };
    } catch (error) {
      deps.logRejection(rejectionEntry(error));
      return { effect: 'unauthorized' };
    }
  };
}

function headerValue(event: APIGatewayProxyEvent, name: string): string | undefined {
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === name && value !== undefined) return value;
  }
  return undefined;
}
