import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { trustedIssuersFromEnv } from '@/lambdas/auth/authorizer-env';
import { TokenRejectedError, type TrustedIssuer, verifyBearerToken } from '@/lambdas/auth/verify-token';

/**
 * API Gateway TOKEN authorizer for every `bearer` route: verifies the JWT in the
 * Authorization header and allows the caller into the API's methods. Which operations
 * the caller may perform is decided by the handlers (Stax role matrix), not here.
 */

/** Where rejections are reported; the default writes one JSON line to the function's log. */
export type RejectionLog = (entry: { readonly reason: string; readonly detail: string }) => void;

export interface AuthorizerDependencies {
  /** The trusted issuers; resolved on first use so the JWKS cache lives as long as the container. */
  readonly issuers: () => readonly TrustedIssuer[];
  readonly now?: () => Date;
  readonly logRejection?: RejectionLog;
}

const logToConsole: RejectionLog = (entry) => {
  console.warn(JSON.stringify({ message: 'bearer token rejected', ...entry }));
};

/** Builds the handler around its dependencies (tests inject keys and a clock). */
export function createAuthorizer(deps: AuthorizerDependencies) {
  const logRejection = deps.logRejection ?? logToConsole;
  return async (event: APIGatewayTokenAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
    try {
      const resource = apiMethodsArn(event.methodArn);
      const principal = await verifyBearerToken(event.authorizationToken, {
        issuers: deps.issuers(),
        now: deps.now,
      });
      return {
        principalId: principal.sub,
        policyDocument: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: resource }],
        },
        context: { sub: principal.sub, username: principal.username, tokenIssuer: principal.tokenIssuer },
      };
    } catch (error) {
      if (error instanceof TokenRejectedError) {
        logRejection({ reason: error.reason, detail: error.message });
      } else {
        logRejection({ reason: 'error', detail: error instanceof Error ? error.message : 'unknown error' });
      }
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
});
