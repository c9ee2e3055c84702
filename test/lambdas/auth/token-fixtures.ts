import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import {
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  type JWTPayload,
  type JWTVerifyGetKey,
  SignJWT,
} from 'jose';
import { LocalTokenSigner } from '@/lambdas/shared/signing';

/** A Cognito user pool stand-in: an RS256 key pair, its JWKS, and a signer for its tokens. */
export const REGION = 'eu-west-1';
export const POOL_ID = 'eu-west-1_AbCdEf123';
export const ISSUER = `https://cognito-idp.${REGION}.amazonaws.com/${POOL_ID}`;
export const CLIENT_ID = '1example23456789abcdefghij';
export const SUB = '7a1c3e2b-0000-4000-8000-000000000001';
export const USERNAME = 'alice@example.com';

/** 2026-01-01T00:00:00Z: every test runs at this instant. */
export const NOW = new Date('2026-01-01T00:00:00Z');
export const NOW_SECONDS = Math.floor(NOW.getTime() / 1000);

export interface TestPool {
  readonly keys: JWTVerifyGetKey;
  /** Signs claims as the pool would (RS256, the pool's kid), merged over a valid access token. */
  readonly sign: (overrides?: JWTPayload, header?: { alg?: string; kid?: string }) => Promise<string>;
}

/** Claims of a valid Cognito access token of the console client, issued a minute before NOW. */
export function accessTokenClaims(): JWTPayload {
  return {
    iss: ISSUER,
    sub: SUB,
    client_id: CLIENT_ID,
    token_use: 'access',
    scope: 'openid email profile',
    username: USERNAME,
    auth_time: NOW_SECONDS - 60,
    iat: NOW_SECONDS - 60,
    exp: NOW_SECONDS + 3540,
    jti: 'e0b3a0b6-0000-4000-8000-000000000002',
  };
}

export async function createTestPool(): Promise<TestPool> {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'pool-key-1', alg: 'RS256', use: 'sig' };
  const keys = createLocalJWKSet({ keys: [jwk] });
  const sign = async (overrides: JWTPayload = {}, header: { alg?: string; kid?: string } = {}) => {
    const claims = Object.fromEntries(
      Object.entries({ ...accessTokenClaims(), ...overrides }).filter(([, value]) => value !== undefined),
    );
    return new SignJWT(claims)
      .setProtectedHeader({ alg: header.alg ?? 'RS256', kid: header.kid ?? 'pool-key-1' })
      .sign(privateKey);
  };
  return { keys, sign };
}

/** staxid's own issuer in tests: its URL (the audience too) and an API token's AccessKey. */
export const STAXID_ISSUER = 'https://api.staxid.example.com/v1';
export const ACCESS_KEY = '3f1c2a4b-5d6e-4f70-8a9b-0c1d2e3f4a5b';

/** Claims of a valid staxid access token, issued a minute before NOW. */
export function staxidTokenClaims(): JWTPayload {
  return {
    iss: STAXID_ISSUER,
    sub: ACCESS_KEY,
    aud: STAXID_ISSUER,
    client_id: ACCESS_KEY,
    token_use: 'access',
    'staxid:role': 'api_admin',
    iat: NOW_SECONDS - 60,
    exp: NOW_SECONDS + 3540,
    jti: 'a0b3a0b6-0000-4000-8000-000000000003',
  };
}

export interface TestStaxidKey {
  /** The signer staxid would use (a local key). */
  readonly signer: LocalTokenSigner;
  /** The same key's private half, to forge variations with jose. */
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** Signs claims merged over a valid staxid access token (ES256, the key's kid, typ at+jwt). */
  readonly sign: (
    overrides?: JWTPayload,
    header?: { alg?: string; kid?: string; typ?: string },
  ) => Promise<string>;
}

export async function createStaxidKey(): Promise<TestStaxidKey> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const signer = new LocalTokenSigner(privateKey);
  const { kid } = await signer.publicJwk();
  const sign = async (
    overrides: JWTPayload = {},
    header: { alg?: string; kid?: string; typ?: string } = {},
  ) => {
    const claims = Object.fromEntries(
      Object.entries({ ...staxidTokenClaims(), ...overrides }).filter(([, value]) => value !== undefined),
    );
    return new SignJWT(claims)
      .setProtectedHeader({ alg: header.alg ?? 'ES256', kid: header.kid ?? kid, typ: header.typ ?? 'at+jwt' })
      .sign(privateKey);
  };
  return { signer, privateKey, publicKey, sign };
}
