import { base64url, createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import {
  bearerTokenFrom,
  cognitoAccessTokenIssuer,
  jwksFromSigner,
  staxidAccessTokenIssuer,
  TokenRejectedError,
  type TrustedIssuer,
  verifyBearerToken,
} from '@/lambdas/auth/verify-token';
import type { TokenSigner } from '@/lambdas/shared/signing';
import {
  ACCESS_KEY,
  accessTokenClaims,
  CLIENT_ID,
  createStaxidKey,
  createTestPool,
  ISSUER,
  NOW,
  NOW_SECONDS,
  STAXID_ISSUER,
  SUB,
  staxidTokenClaims,
  type TestPool,
  type TestStaxidKey,
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
      kind: 'user',
      id: USERNAME,
      sub: SUB,
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

  test('resolves a federated user by the staxid:user_id claim the pre-token-generation trigger adds', async () => {
    const userId = '5b0e7c1a-2f3d-4e5f-8a6b-7c8d9e0f1a2b';
    const token = await pool.sign({ username: 'Okta_00u1abcd2EFGH3ijk4x7', 'staxid:user_id': userId });
    await expect(verify(`Bearer ${token}`)).resolves.toEqual({
      kind: 'user',
      id: userId,
      sub: SUB,
      tokenIssuer: ISSUER,
    });
  });

  test.each([['not-a-uuid'], [42], ['']])(
    'refuses a staxid:user_id claim that is not a user id (%p)',
    async (claim) => {
      const error = await rejection(`Bearer ${await pool.sign({ 'staxid:user_id': claim })}`);
      expect(error).toEqual(
        expect.objectContaining({
          reason: 'missing_claim',
          message: '"staxid:user_id" is not a staxid user id',
        }),
      );
    },
  );

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
      kind: 'user',
      id: USERNAME,
      sub: SUB,
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

describe('staxidAccessTokenIssuer', () => {
  let staxid: TestStaxidKey;
  let both: TrustedIssuer[];

  beforeAll(async () => {
    staxid = await createStaxidKey();
    both = [
      ...issuers,
      staxidAccessTokenIssuer({ issuer: STAXID_ISSUER, keys: jwksFromSigner(staxid.signer) }),
    ];
  });

  const verifyStaxid = (token: string) =>
    verifyBearerToken(`Bearer ${token}`, { issuers: both, now: () => NOW });

  async function staxidRejection(token: string): Promise<TokenRejectedError> {
    const error = await verifyStaxid(token).then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(error instanceof TokenRejectedError))
      throw new Error(`expected a TokenRejectedError, got ${String(error)}`);
    return error;
  }

  test('accepts a valid access token and returns the API token as the caller', async () => {
    await expect(verifyStaxid(await staxid.sign())).resolves.toEqual({
      kind: 'token',
      id: ACCESS_KEY,
      sub: ACCESS_KEY,
      tokenIssuer: STAXID_ISSUER,
    });
  });

  test('pins ES256, the audience and typ at+jwt', () => {
    const [, own] = both;
    expect([own?.issuer, own?.algorithms, own?.audience, own?.typ]).toEqual([
      STAXID_ISSUER,
      ['ES256'],
      STAXID_ISSUER,
      'at+jwt',
    ]);
  });

  test('refuses an unsigned token (alg: none)', async () => {
    const error = await staxidRejection(new UnsecuredJWT(staxidTokenClaims()).encode());
    expect([error.reason, error.message]).toEqual([
      'invalid_token',
      'ERR_JOSE_ALG_NOT_ALLOWED: "alg" (Algorithm) Header Parameter value not allowed',
    ]);
  });

  test('refuses a token signed by another P-256 key under the same kid', async () => {
    const other = await createStaxidKey();
    const { kid } = await staxid.signer.publicJwk();
    const error = await staxidRejection(await other.sign({}, { kid }));
    expect([error.reason, error.message]).toEqual([
      'invalid_token',
      'ERR_JWS_SIGNATURE_VERIFICATION_FAILED: signature verification failed',
    ]);
  });

  test('refuses HS256 signed with the public key (as JWK or PEM) as the HMAC secret', async () => {
    const { kid } = await staxid.signer.publicJwk();
    const secrets = [
      new TextEncoder().encode(JSON.stringify(await staxid.signer.publicJwk())),
      new TextEncoder().encode(staxid.publicKey.export({ format: 'pem', type: 'spki' }).toString()),
    ];
    for (const secret of secrets) {
      const token = await new SignJWT(staxidTokenClaims())
        .setProtectedHeader({ alg: 'HS256', kid, typ: 'at+jwt' })
        .sign(secret);
      const error = await staxidRejection(token);
      expect([error.reason, error.message]).toEqual([
        'invalid_token',
        'ERR_JOSE_ALG_NOT_ALLOWED: "alg" (Algorithm) Header Parameter value not allowed',
      ]);
    }
  });

  test("refuses a Cognito-signed (RS256) token that claims staxid's issuer", async () => {
    const token = await pool.sign(staxidTokenClaims());
    const error = await staxidRejection(token);
    expect(error.message).toBe(
      'ERR_JOSE_ALG_NOT_ALLOWED: "alg" (Algorithm) Header Parameter value not allowed',
    );
  });

  test('refuses a token of another issuer signed with the right key', async () => {
    const error = await staxidRejection(await staxid.sign({ iss: 'https://evil.example.com/v1' }));
    expect(error.reason).toBe('untrusted_issuer');
  });

  test.each([
    ['another audience', { aud: 'https://other.example.com' }],
    ['no audience', { aud: undefined }],
  ])('refuses a token with %s', async (_, overrides) => {
    const error = await staxidRejection(await staxid.sign(overrides));
    expect([error.reason, error.message]).toEqual([
      'invalid_token',
      expect.stringMatching(/^ERR_JWT_CLAIM_VALIDATION_FAILED: (unexpected|missing required) "aud" claim/),
    ]);
  });

  test('refuses a token that expired more than 60 s ago, accepts one within the tolerance', async () => {
    const error = await staxidRejection(await staxid.sign({ exp: NOW_SECONDS - 61 }));
    expect(error.message).toBe('ERR_JWT_EXPIRED: "exp" claim timestamp check failed');
    await expect(verifyStaxid(await staxid.sign({ exp: NOW_SECONDS - 59 }))).resolves.toMatchObject({
      id: ACCESS_KEY,
    });
  });

  test('refuses a JWT that is not an access token (typ)', async () => {
    const error = await staxidRejection(await staxid.sign({}, { typ: 'JWT' }));
    expect(error.message).toBe('ERR_JWT_CLAIM_VALIDATION_FAILED: unexpected "typ" JWT header value');
  });

  test.each([
    ['token_use is not access', { token_use: 'id' }, 'wrong_token_use'],
    ['client_id differs from sub', { client_id: '00000000-0000-4000-8000-00000000000f' }, 'wrong_client'],
    ['sub is not an AccessKey', { sub: 'someone', client_id: 'someone' }, 'missing_claim'],
  ])('refuses a token whose %s', async (_, overrides, reason) => {
    const error = await staxidRejection(await staxid.sign(overrides));
    expect(error.reason).toBe(reason);
  });

  test('strips a trailing slash from the issuer and refuses a non-https one', () => {
    const keys = createLocalJWKSet({ keys: [] });
    expect(staxidAccessTokenIssuer({ issuer: `${STAXID_ISSUER}/`, keys }).issuer).toBe(STAXID_ISSUER);
    expect(() => staxidAccessTokenIssuer({ issuer: 'http://api.example.com', keys })).toThrow(
      'the token issuer must be an https URL (http only on 127.0.0.1/localhost); got "http://api.example.com"',
    );
  });
});

describe('jwksFromSigner', () => {
  test('asks the signer again after a failed key fetch', async () => {
    const staxid = await createStaxidKey();
    const publicJwk = jest
      .fn<ReturnType<TokenSigner['publicJwk']>, []>()
      .mockRejectedValueOnce(new Error('ThrottlingException'))
      .mockImplementation(() => staxid.signer.publicJwk());
    const keys = jwksFromSigner({ publicJwk, sign: (input) => staxid.signer.sign(input) });
    const own = [staxidAccessTokenIssuer({ issuer: STAXID_ISSUER, keys })];
    const token = `Bearer ${await staxid.sign()}`;
    await expect(verifyBearerToken(token, { issuers: own, now: () => NOW })).rejects.toMatchObject({
      reason: 'invalid_token',
    });
    await expect(verifyBearerToken(token, { issuers: own, now: () => NOW })).resolves.toMatchObject({
      kind: 'token',
    });
    expect(publicJwk).toHaveBeenCalledTimes(2);
  });
});
