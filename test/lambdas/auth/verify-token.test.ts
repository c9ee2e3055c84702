import { base64url, createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import {
  bearerTokenFrom,
  cognitoAccessTokenIssuer,
  TokenRejectedError,
  type TrustedIssuer,
  verifyBearerToken,
} from '@/lambdas/auth/verify-token';
import {
  accessTokenClaims,
  CLIENT_ID,
  createTestPool,
  ISSUER,
  NOW,
  NOW_SECONDS,
  SUB,
  type TestPool,
  USERNAME,
} from './token-fixtures';

let pool: TestPool;
let issuers: TrustedIssuer[];

beforeAll(async () => {
  pool = await createTestPool();
  issuers = [cognitoAccessTokenIssuer({ issuer: ISSUER, clientId: CLIENT_ID, keys: pool.keys })];
});

const verify = (authorization: string | undefined) =>
  verifyBearerToken(authorization, { issuers, now: () => NOW });

/** Runs `verify` and returns the rejection it must produce. */
async function rejection(authorization: string | undefined): Promise<TokenRejectedError> {
  const error = await verify(authorization).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof TokenRejectedError))
    throw new Error(`expected a TokenRejectedError, got ${String(error)}`);
  return error;
}

describe('verifyBearerToken', () => {
  test('accepts a valid access token of the console client and returns the caller', async () => {
    await expect(verify(`Bearer ${await pool.sign()}`)).resolves.toEqual({
      sub: SUB,
      username: USERNAME,
      tokenIssuer: ISSUER,
    });
  });

  test('accepts the scheme in any case (RFC 6750)', async () => {
    await expect(verify(`bearer ${await pool.sign()}`)).resolves.toMatchObject({ sub: SUB });
  });

  test('refuses a token from an issuer that is not trusted', async () => {
    const token = await pool.sign({ iss: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other' });
    const error = await rejection(`Bearer ${token}`);
    expect(error.reason).toBe('untrusted_issuer');
    expect(error.message).toBe('token issuer is not trusted');
  });

  test('refuses a token of another app client', async () => {
    const error = await rejection(`Bearer ${await pool.sign({ client_id: 'another-client' })}`);
    expect(error.reason).toBe('wrong_client');
    expect(error.message).toBe('client_id is not the console app client');
  });

  test('refuses an ID token instead of an access token', async () => {
    const idToken = await pool.sign({
      token_use: 'id',
      client_id: undefined,
      aud: CLIENT_ID,
      email: USERNAME,
      'cognito:username': USERNAME,
    });
    const error = await rejection(`Bearer ${idToken}`);
    expect(error.reason).toBe('wrong_token_use');
    expect(error.message).toBe('token_use is not "access"');
  });

  test('refuses a token that expired more than 60 s ago', async () => {
    const error = await rejection(`Bearer ${await pool.sign({ exp: NOW_SECONDS - 61 })}`);
    expect(error.reason).toBe('invalid_token');
    expect(error.message).toBe('ERR_JWT_EXPIRED: "exp" claim timestamp check failed');
  });

  test('accepts a token that expired within the 60 s clock tolerance', async () => {
    await expect(verify(`Bearer ${await pool.sign({ exp: NOW_SECONDS - 59 })}`)).resolves.toMatchObject({
      sub: SUB,
    });
  });

  test('refuses a token without an expiry', async () => {
    const error = await rejection(`Bearer ${await pool.sign({ exp: undefined })}`);
    expect(error.reason).toBe('invalid_token');
    expect(error.message).toBe('ERR_JWT_CLAIM_VALIDATION_FAILED: missing required "exp" claim');
  });

  test('refuses a token that is not valid yet beyond the tolerance', async () => {
    const error = await rejection(`Bearer ${await pool.sign({ nbf: NOW_SECONDS + 120 })}`);
    expect(error.reason).toBe('invalid_token');
    expect(error.message).toBe('ERR_JWT_CLAIM_VALIDATION_FAILED: "nbf" claim timestamp check failed');
  });

  test('refuses an unsigned token (alg: none)', async () => {
    const unsigned = new UnsecuredJWT(accessTokenClaims()).encode();
    const error = await rejection(`Bearer ${unsigned}`);
    expect(error.reason).toBe('invalid_token');
    expect(error.message).toBe(
      'ERR_JOSE_ALG_NOT_ALLOWED: "alg" (Algorithm) Header Parameter value not allowed',
    );
  });

  test('refuses an HS256 token signed with the public key as the HMAC secret (key confusion)', async () => {
    const { publicKey } = await generateKeyPair('RS256', { extractable: true });
    const secret = new TextEncoder().encode(JSON.stringify(await exportJWK(publicKey)));
    const token = await new SignJWT(accessTokenClaims())
      .setProtectedHeader({ alg: 'HS256', kid: 'pool-key-1' })
      .sign(secret);
    const error = await rejection(`Bearer ${token}`);
    expect(error.reason).toBe('invalid_token');
    expect(error.message).toBe(
      'ERR_JOSE_ALG_NOT_ALLOWED: "alg" (Algorithm) Header Parameter value not allowed',
    );
  });

  test('refuses an RS256 token signed by a key not in the JWKS', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const forged = await new SignJWT(accessTokenClaims())
      .setProtectedHeader({ alg: 'RS256', kid: 'pool-key-1' })
      .sign(privateKey);
    const error = await rejection(`Bearer ${forged}`);
    expect(error.reason).toBe('invalid_token');
    expect(error.message).toBe('ERR_JWS_SIGNATURE_VERIFICATION_FAILED: signature verification failed');
  });

  test('refuses a token whose payload was altered after signing', async () => {
    const [header, , signature] = (await pool.sign()).split('.');
    const payload = base64url.encode(JSON.stringify({ ...accessTokenClaims(), sub: 'someone-else' }));
    const error = await rejection(`Bearer ${header}.${payload}.${signature}`);
    expect(error.reason).toBe('invalid_token');
  });

  test('refuses a token without a username', async () => {
    const error = await rejection(`Bearer ${await pool.sign({ username: undefined })}`);
    expect(error.reason).toBe('missing_claim');
  });

  test('refuses a value that is not a JWT', async () => {
    const error = await rejection('Bearer abc.def.ghi');
    expect(error.reason).toBe('malformed_token');
  });

  test('refuses a clock tolerance above 60 s', async () => {
    await expect(
      verifyBearerToken(`Bearer ${await pool.sign()}`, {
        issuers,
        now: () => NOW,
        clockToleranceSeconds: 61,
      }),
    ).rejects.toThrow(new RangeError('clockToleranceSeconds must be between 0 and 60 (got 61)'));
  });

  test('trusts the second issuer of a list by its own rules', async () => {
    const other = await createTestPool();
    const otherIssuer = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Second';
    const both = [
      ...issuers,
      cognitoAccessTokenIssuer({ issuer: otherIssuer, clientId: CLIENT_ID, keys: other.keys }),
    ];
    const token = await other.sign({ iss: otherIssuer });
    await expect(verifyBearerToken(`Bearer ${token}`, { issuers: both, now: () => NOW })).resolves.toEqual({
      sub: SUB,
      username: USERNAME,
      tokenIssuer: otherIssuer,
    });
    // ...and a token of the first pool that claims the second issuer fails the second pool's keys.
    const crossed = await pool.sign({ iss: otherIssuer });
    await expect(
      verifyBearerToken(`Bearer ${crossed}`, { issuers: both, now: () => NOW }),
    ).rejects.toMatchObject({
      reason: 'invalid_token',
    });
  });
});

function rejectionReasonOf(action: () => unknown): string {
  try {
    action();
    return 'accepted';
  } catch (error) {
    return error instanceof TokenRejectedError ? error.reason : `unexpected ${String(error)}`;
  }
}

describe('bearerTokenFrom', () => {
  test.each([
    [undefined, 'missing_token'],
    ['', 'missing_token'],
    ['   ', 'missing_token'],
    ['Basic dXNlcjpwYXNz', 'malformed_header'],
    ['Bearer', 'malformed_header'],
    ['Bearer not-a-jwt', 'malformed_header'],
    ['eyJhbGciOiJSUzI1NiJ9.e30.c2ln', 'malformed_header'],
    ['Token eyJhbGciOiJSUzI1NiJ9.e30.c2ln', 'malformed_header'],
  ])('refuses %j (%s)', (header, reason) => {
    expect(rejectionReasonOf(() => bearerTokenFrom(header))).toBe(reason);
  });

  test('returns the token after the scheme', () => {
    expect(bearerTokenFrom('Bearer aaa.bbb.ccc')).toBe('aaa.bbb.ccc');
  });
});

describe('cognitoAccessTokenIssuer', () => {
  test('pins RS256 and strips a trailing slash from the issuer', () => {
    const issuer = cognitoAccessTokenIssuer({
      issuer: `${ISSUER}/`,
      clientId: CLIENT_ID,
      keys: createLocalJWKSet({ keys: [] }),
    });
    expect(issuer.issuer).toBe(ISSUER);
    expect(issuer.algorithms).toEqual(['RS256']);
  });
});
