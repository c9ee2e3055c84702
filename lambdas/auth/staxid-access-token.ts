import { TOKEN_ISSUER_ENV } from '@/lambdas/shared/constants';

/**
 * The format of the access tokens staxid issues at `POST /oauth2/token` (RFC 9068 JWT
 * access tokens) and accepts in `Authorization: Bearer`. One place, shared by the issuer
 * (lambdas/tokens) and the verifier (lambdas/auth), so the two cannot disagree.
 *
 * Header: `{alg: "ES256", kid, typ: "at+jwt"}`. Claims: `iss` (the issuer URL), `aud` (the
 * issuer URL too: staxid is both the authorization server and the only resource server),
 * `sub` and `client_id` (the API token's AccessKey), `token_use: "access"`,
 * `staxid:role` (informative: the authorizer reads the role from the table), `iat`, `exp`, `jti`.
 */

/** RFC 9068 §2.1: the media type of a JWT access token; refusing other `typ`s keeps any other JWT signed by the key out. */
export const ACCESS_TOKEN_TYP = 'at+jwt';

/** `expires_in` of every token staxid issues. */
export const ACCESS_TOKEN_LIFETIME_SECONDS = 3600;

/** The claim carrying the token's Stax role when it was issued. */
export const ROLE_CLAIM = 'staxid:role';

/** The audience of staxid's access tokens: the API itself, named by its issuer URL. */
export function accessTokenAudience(issuer: string): string {
  return issuer;
}

/** Thrown at cold start when a function is deployed without the issuer URL, or with a bad one. */
export class IssuerConfigError extends Error {
  readonly code = 'IssuerConfigError';

  constructor(message: string) {
    super(message);
    this.name = 'IssuerConfigError';
  }
}

/**
 * Checks an issuer URL and returns it without trailing slashes: https, or http on a
 * loopback address (local mode); no query or fragment (RFC 8414 §2).
 */
export function normalizeIssuer(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new IssuerConfigError(`the token issuer must be an absolute URL (got ${JSON.stringify(value)})`);
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new IssuerConfigError(
      `the token issuer must be an https URL (http only on 127.0.0.1/localhost); got ${JSON.stringify(value)}`,
    );
  }
  if (url.search !== '' || url.hash !== '' || value.includes('?') || value.includes('#')) {
    throw new IssuerConfigError(
      `the token issuer must have no query or fragment (got ${JSON.stringify(value)})`,
    );
  }
  return value.replace(/\/+$/, '');
}

/** The issuer URL from `STAXID_TOKEN_ISSUER`. */
export function issuerFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const value = env[TOKEN_ISSUER_ENV];
  if (value === undefined || value === '') {
    throw new IssuerConfigError(`environment variable ${TOKEN_ISSUER_ENV} is not set`);
  }
  return normalizeIssuer(value);
}
