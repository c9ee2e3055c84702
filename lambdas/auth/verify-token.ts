import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeJwt,
  errors,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';
import { ACCESS_TOKEN_TYP, accessTokenAudience, normalizeIssuer } from '@/lambdas/auth/staxid-access-token';
import { isUuid } from '@/lambdas/shared/ids';
import type { PublicSigningJwk, TokenSigner } from '@/lambdas/shared/signing';

/**
 * Bearer token verification for every API request, independent of API Gateway.
 *
 * A token is accepted only if its issuer is one of a fixed list of trusted issuers, and
 * then only under that issuer's rules: its pinned algorithms, its keys, its claim checks.
 * The token's own header never chooses how it is checked.
 */

/** At most this much clock skew is forgiven on `exp` and `nbf`. */
export const MAX_CLOCK_TOLERANCE_SECONDS = 60;

/** Who the token says the caller is, once it has been verified. */
export interface VerifiedPrincipal {
  /** A person (Cognito access token) or an API token (staxid's own access token). */
  readonly kind: 'user' | 'token';
  /**
   * The id to look the caller up by: the staxid user id (a local user's Cognito username
   * IS their staxid user id) or the API token's AccessKey.
   */
  readonly id: string;
  /** The token's subject, as the issuer knows the caller. */
  readonly sub: string;
  /** The issuer that vouched for the caller. */
  readonly tokenIssuer: string;
}

/** One issuer whose tokens the API accepts, and how they are checked. */
export interface TrustedIssuer {
  /** The exact `iss` claim value. */
  readonly issuer: string;
  /** The only JWS algorithms accepted for this issuer. */
  readonly algorithms: readonly string[];
  /** When set, the `aud` claim must contain it. */
  readonly audience?: string;
  /** When set, the JWS header's `typ` must be it. */
  readonly typ?: string;
  /** Resolves the verification key for a token of this issuer (its JWKS). */
  readonly keys: JWTVerifyGetKey;
  /**
   * Checks the claims beyond signature, issuer and lifetime (token type, audience or
   * client) and extracts the principal. Throws `TokenRejectedError` when they do not fit.
   */
  readonly principalFrom: (payload: JWTPayload) => VerifiedPrincipal;
}

/** Why a token was refused; for logs only, never for the caller. */
export type TokenRejection =
  | 'missing_token'
  | 'malformed_header'
  | 'malformed_token'
  | 'untrusted_issuer'
  | 'invalid_token'
  | 'wrong_token_use'
  | 'wrong_client'
  | 'missing_claim'
  | 'unknown_caller'
  | 'inactive_caller';

/** A bearer token was refused. `reason` and `message` are safe to log: they hold no token content. */
export class TokenRejectedError extends Error {
  readonly code = 'TokenRejectedError';

  constructor(
    readonly reason: TokenRejection,
    message: string,
  ) {
    super(message);
    this.name = 'TokenRejectedError';
  }
}

export interface VerifyOptions {
  /** The issuers to trust; a token from any other issuer is refused. */
  readonly issuers: readonly TrustedIssuer[];
  /** The current time. @default - the system clock */
  readonly now?: () => Date;
  /** Forgiven clock skew in seconds, at most `MAX_CLOCK_TOLERANCE_SECONDS`. @default 60 */
  readonly clockToleranceSeconds?: number;
}

// RFC 6750 §2.1: the scheme is case-insensitive; the token is a compact JWS (three base64url parts).
const BEARER = /^Bearer +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/i;

/** Extracts the compact JWT from an `Authorization: Bearer <jwt>` header value. */
export function bearerTokenFrom(authorization: string | undefined): string {
  if (authorization === undefined || authorization.trim() === '') {
    throw new TokenRejectedError('missing_token', 'no Authorization header');
  }
  const match = BEARER.exec(authorization.trim());
  if (!match?.[1]) {
    throw new TokenRejectedError('malformed_header', 'Authorization header is not "Bearer <jwt>"');
  }
  return match[1];
}

/**
 * Verifies the bearer token in an Authorization header against the trusted issuers and
 * returns the caller. Throws `TokenRejectedError` on any failure.
 */
export async function verifyBearerToken(
  authorization: string | undefined,
  options: VerifyOptions,
): Promise<VerifiedPrincipal> {
  const clockTolerance = options.clockToleranceSeconds ?? MAX_CLOCK_TOLERANCE_SECONDS;
  if (clockTolerance < 0 || clockTolerance > MAX_CLOCK_TOLERANCE_SECONDS) {
    throw new RangeError(
      `clockToleranceSeconds must be between 0 and ${MAX_CLOCK_TOLERANCE_SECONDS} (got ${clockTolerance})`,
    );
  }
  const token = bearerTokenFrom(authorization);
  const trusted = trustedIssuerOf(token, options.issuers);
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, trusted.keys, {
      issuer: trusted.issuer,
      algorithms: [...trusted.algorithms],
      ...(trusted.audience !== undefined && { audience: trusted.audience }),
      ...(trusted.typ !== undefined && { typ: trusted.typ }),
      // jose checks exp only when present: a token without one would never expire.
      requiredClaims: ['exp'],
      clockTolerance,
      currentDate: (options.now ?? (() => new Date()))(),
    }));
  } catch (error) {
    throw new TokenRejectedError('invalid_token', describeJoseError(error));
  }
  return trusted.principalFrom(payload);
}

/** Picks the issuer by the (not yet verified) `iss` claim; `jwtVerify` then checks it for real. */
function trustedIssuerOf(token: string, issuers: readonly TrustedIssuer[]): TrustedIssuer {
  let iss: unknown;
  try {
    ({ iss } = decodeJwt(token));
  } catch {
    throw new TokenRejectedError('malformed_token', 'token is not a decodable JWT');
  }
  const trusted = issuers.find((candidate) => candidate.issuer === iss);
  if (!trusted) {
    throw new TokenRejectedError('untrusted_issuer', 'token issuer is not trusted');
  }
  return trusted;
}

function describeJoseError(error: unknown): string {
  // jose's codes and messages name the failed check ("exp" claim timestamp check failed,
  // signature verification failed, ...) and never quote the token or its claims.
  if (error instanceof errors.JOSEError) return `${error.code}: ${error.message}`;
  return 'verification failed';
}

export interface CognitoIssuerOptions {
  /** `https://cognito-idp.<region>.amazonaws.com/<userPoolId>` */
  readonly issuer: string;
  /** The app client whose access tokens are accepted. */
  readonly clientId: string;
  /** @default - the pool's JWKS at `<issuer>/.well-known/jwks.json`, fetched and cached by jose */
  readonly keys?: JWTVerifyGetKey;
}

/**
 * The Cognito user pool as an issuer: RS256 access tokens of one app client. Cognito
 * access tokens carry `client_id` (not `aud`) and `token_use: "access"`; ID tokens,
 * which carry `aud` instead, are refused.
 */
export function cognitoAccessTokenIssuer(options: CognitoIssuerOptions): TrustedIssuer {
  const issuer = options.issuer.replace(/\/+$/, '');
  return {
    issuer,
    algorithms: ['RS256'],
    keys: options.keys ?? createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`)),
    principalFrom: (payload) => {
      if (payload.token_use !== 'access') {
        throw new TokenRejectedError('wrong_token_use', 'token_use is not "access"');
      }
      if (payload.client_id !== options.clientId) {
        throw new TokenRejectedError('wrong_client', 'client_id is not the console app client');
      }
      const { sub, username } = payload;
      if (typeof sub !== 'string' || sub === '' || typeof username !== 'string' || username === '') {
        throw new TokenRejectedError('missing_claim', 'token lacks "sub" or "username"');
      }
      return { kind: 'user', id: staxidUserIdOf(payload, username), sub, tokenIssuer: issuer };
    },
  };
}

/** The claim the pre-token-generation trigger adds (lambdas/triggers/staxid-claims.ts). */
export const STAXID_USER_ID_CLAIM = 'staxid:user_id';

/**
 * The staxid user id of a Cognito access token: the `staxid:user_id` claim, which only the
 * pool's pre-token-generation trigger can put there (federated users' usernames are
 * `<Provider>_<subject>`); without it, the username, which for a local user IS the id.
 */
function staxidUserIdOf(payload: JWTPayload, username: string): string {
  const claimed = payload[STAXID_USER_ID_CLAIM];
  if (claimed === undefined) return username;
  if (typeof claimed !== 'string' || !isUuid(claimed)) {
    throw new TokenRejectedError('missing_claim', `"${STAXID_USER_ID_CLAIM}" is not a staxid user id`);
  }
  return claimed;
}

export interface StaxidIssuerOptions {
  /** staxid's own issuer URL (`STAXID_TOKEN_ISSUER`). */
  readonly issuer: string;
  /** The signing key's public JWKS: from the signer (KMS GetPublicKey), never fetched over HTTP. */
  readonly keys: JWTVerifyGetKey;
}

/**
 * staxid itself as an issuer: the ES256 access tokens of `POST /oauth2/token`
 * (`typ: at+jwt`, `aud` = the issuer, `token_use: access`, `client_id` = `sub` = the
 * API token's AccessKey).
 */
export function staxidAccessTokenIssuer(options: StaxidIssuerOptions): TrustedIssuer {
  const issuer = normalizeIssuer(options.issuer);
  return {
    issuer,
    algorithms: ['ES256'],
    audience: accessTokenAudience(issuer),
    typ: ACCESS_TOKEN_TYP,
    keys: options.keys,
    principalFrom: (payload) => {
      if (payload.token_use !== 'access') {
        throw new TokenRejectedError('wrong_token_use', 'token_use is not "access"');
      }
      const { sub, client_id: clientId } = payload;
      if (typeof sub !== 'string' || !isUuid(sub)) {
        throw new TokenRejectedError('missing_claim', 'token lacks a "sub" that is an AccessKey');
      }
      if (clientId !== sub) {
        throw new TokenRejectedError('wrong_client', "client_id is not the token's subject");
      }
      return { kind: 'token', id: sub, sub, tokenIssuer: issuer };
    },
  };
}

/**
 * The JWKS of staxid's own signing key, taken from the signer (KMS GetPublicKey, once per
 * container) rather than fetched from `/.well-known/jwks.json` over HTTP.
 */
export function jwksFromSigner(signer: TokenSigner): JWTVerifyGetKey {
  let current: { readonly jwk: PublicSigningJwk; readonly keys: JWTVerifyGetKey } | undefined;
  return async (header, token) => {
    const jwk = await signer.publicJwk();
    if (current?.jwk !== jwk) current = { jwk, keys: createLocalJWKSet({ keys: [{ ...jwk }] }) };
    return current.keys(header, token);
  };
}
