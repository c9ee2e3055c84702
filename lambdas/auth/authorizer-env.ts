import { issuerFromEnv } from '@/lambdas/auth/staxid-access-token';
import {
  cognitoAccessTokenIssuer,
  jwksFromSigner,
  staxidAccessTokenIssuer,
  type TrustedIssuer,
} from '@/lambdas/auth/verify-token';
import { signerFromEnv } from '@/lambdas/shared/signing';

/**
 * The environment variables the Identity stack sets on the authorizer function (and
 * the local runtime sets for its stand-in). One place, so the stack and the handler
 * cannot disagree on a name. The authorizer also reads `STAXID_TABLE_NAME`,
 * `STAXID_TOKEN_ISSUER` and `STAXID_TOKEN_SIGNING_KEY_ID` (lambdas/shared/constants.ts).
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

export interface TrustedIssuersOptions {
  /**
   * Whether the Cognito issuer must be configured. Local mode trusts cognito-local only once
   * it is running (and the local runtime has set `COGNITO_ISSUER`/`COGNITO_CLIENT_ID`).
   * @default true
   */
  readonly requireCognito?: boolean;
}

/**
 * The issuers the API trusts, from the function's environment: the Cognito user pool
 * (RS256, its JWKS over HTTPS) and staxid itself (ES256, the public key from KMS).
 */
export function trustedIssuersFromEnv(
  env: NodeJS.ProcessEnv,
  options: TrustedIssuersOptions = {},
): TrustedIssuer[] {
  const cognitoConfigured = Boolean(env[AUTHORIZER_ENV.cognitoIssuer] || env[AUTHORIZER_ENV.cognitoClientId]);
  const cognito =
    (options.requireCognito ?? true) || cognitoConfigured
      ? [
          cognitoAccessTokenIssuer({
            issuer: required(env, AUTHORIZER_ENV.cognitoIssuer),
            clientId: required(env, AUTHORIZER_ENV.cognitoClientId),
          }),
        ]
      : [];
  return [
    ...cognito,
    staxidAccessTokenIssuer({ issuer: issuerFromEnv(env), keys: jwksFromSigner(signerFromEnv(env)) }),
  ];
}

function required(env: Readonly<Record<string, string | undefined>>, name: string): string {
  const value = env[name];
  if (value === undefined || value === '') throw new AuthorizerConfigError(name);
  return value;
}
