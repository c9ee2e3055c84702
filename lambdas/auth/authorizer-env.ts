import { cognitoAccessTokenIssuer, type TrustedIssuer } from '@/lambdas/auth/verify-token';

/**
 * The environment variables the Identity stack sets on the authorizer function (and
 * the local runtime sets for its stand-in). One place, so the stack and the handler
 * cannot disagree on a name.
 */
export const AUTHORIZER_ENV = {
  /** The Cognito user pool's issuer URL, `https://cognito-idp.<region>.amazonaws.com/<poolId>`. */
  cognitoIssuer: 'COGNITO_ISSUER',
  /** The console app client id: the only client whose access tokens are accepted. */
  cognitoClientId: 'COGNITO_CLIENT_ID',
} as const;

/** Thrown at cold start when the authorizer is deployed without its configuration. */
export class AuthorizerConfigError extends Error {
  readonly code = 'AuthorizerConfigError';

  constructor(variable: string) {
    super(`environment variable ${variable} is not set`);
    this.name = 'AuthorizerConfigError';
  }
}

/** The issuers the API trusts, from the function's environment. */
export function trustedIssuersFromEnv(env: Readonly<Record<string, string | undefined>>): TrustedIssuer[] {
  return [
    cognitoAccessTokenIssuer({
      issuer: required(env, AUTHORIZER_ENV.cognitoIssuer),
      clientId: required(env, AUTHORIZER_ENV.cognitoClientId),
    }),
  ];
}

function required(env: Readonly<Record<string, string | undefined>>, name: string): string {
  const value = env[name];
  if (value === undefined || value === '') throw new AuthorizerConfigError(name);
  return value;
}
