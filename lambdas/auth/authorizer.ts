import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import {
  type AuthenticatorDependencies,
  authenticate,
  callerContext,
  type RejectionLog,
  rejectionEntry,
} from '@/lambdas/auth/authenticate';
import { trustedIssuersFromEnv } from '@/lambdas/auth/authorizer-env';
import type { TrustedIssuer } from '@/lambdas/auth/verify-token';
import { dbFromEnv } from '@/lambdas/shared/db';

export type { RejectionLog } from '@/lambdas/auth/authenticate';

/**
 * API Gateway TOKEN authorizer for every `bearer` route: verifies the JWT in the
 * Authorization header (Cognito access tokens and staxid's own), resolves the caller from
 * the table (ACTIVE user or API token, with its stored role) and allows it into the API's
 * methods with the caller as context (`callerKind`, `callerId`, `callerRole`). Which
 * operations the caller may perform is decided by the handlers (Stax role matrix), not here.
 *
 * API Gateway caches the decision per token for 30 s (AUTHORIZER_CACHE_TTL): a disabled
 * user or deleted token is refused at most that long after the change.
 */

export interface AuthorizerDependencies extends AuthenticatorDependencies {
  readonly logRejection?: RejectionLog;
}

const logToConsole: RejectionLog = (entry) => {
  console.warn(JSON.stringify({ message: 'bearer token rejected', ...entry }));
};

/** Builds the handler around its dependencies (tests inject keys, a table and a clock). */
export function createAuthorizer(deps: AuthorizerDependencies) {
  const logRejection = deps.logRejection ?? logToConsole;
  return async (event: APIGatewayTokenAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
    try {
      const resource = apiMethodsArn(event.methodArn);
      const caller = await authenticate(event.authorizationToken, deps);
      return {
        principalId: caller.id,
        policyDocument: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: resource }],
        },
        context: callerContext(caller),
      };
    } catch (error) {
      logRejection(rejectionEntry(error));
      // API Gateway's convention: this exact message becomes a 401 (the UNAUTHORIZED gateway response).
      throw new Error('Unauthorized');
    }
  };
}

/**
 * Every method of the calling API stage. The policy is cached per token for all methods,
 * so it must not be limited to the method that happened to be called first.
 */
export function apiMethodsArn(methodArn: string): string {
  // arn:<partition>:execute-api:<region>:<account>:<apiId>/<stage>/<VERB>/<path...>
  const match = /^(arn:[^:]+:execute-api:[^:]+:\d{12}:[^/]+)\/([^/]+)\//.exec(methodArn);
  if (!match) throw new Error('methodArn is not an execute-api method ARN');
  return `${match[1]}/${match[2]}/*/*`;
}

let issuers: readonly TrustedIssuer[] | undefined;

export const handler = createAuthorizer({
  issuers: () => {
    issuers ??= trustedIssuersFromEnv(process.env);
    return issuers;
  },
  db: () => dbFromEnv(),
});
