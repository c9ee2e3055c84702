import { generateKeyPairSync } from 'node:crypto';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { jwksFromSigner, staxidAccessTokenIssuer, verifyBearerToken } from '@/lambdas/auth/verify-token';
import { AuditWriteError, MemoryAuditSink } from '@/lambdas/shared/audit';
import { createDb, type Db } from '@/lambdas/shared/db';
import { hmacSecretHasher, type SecretHasher } from '@/lambdas/shared/secrets';
import { LocalTokenSigner } from '@/lambdas/shared/signing';
import { ApiTokenService } from '@/lambdas/tokens/api-tokens';
import {
  basicCredentials,
  type ClientCredentials,
  OAuthError,
  parseTokenRequest,
  TokenExchange,
} from '@/lambdas/tokens/token-exchange';
import { ADMIN } from '@/test/support/api-event';
import { createTestTable, type TestTable } from '@/test/support/dynamodb';

const ISSUER = 'https://api.staxid.example.com/v1';
const NOW = new Date('2026-01-01T00:00:00.000Z');
const NOW_SECONDS = NOW.getTime() / 1000;
const clock = { now: () => NOW };
const FORM = 'application/x-www-form-urlencoded';
const UNKNOWN = '99999999-0000-4000-8000-000000000000';

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

/** The OAuthError a call must throw: [error, reason]. */
function refusal(action: () => unknown): [string, string] | 'accepted' {
  try {
    action();
    return 'accepted';
  } catch (error) {
    if (error instanceof OAuthError) return [error.error, error.reason];
    throw error;
  }
}

describe('parseTokenRequest', () => {
  /** `contentType: null` sends none. */
  const request = (body: string, authorization?: string, contentType: string | null = FORM) => ({
    body,
    ...(authorization !== undefined && { authorization }),
    ...(contentType !== null && { contentType }),
  });

  test('reads client_secret_basic credentials', () => {
    expect(parseTokenRequest(request('grant_type=client_credentials', basic('id-1', 'secret')))).toEqual({
      clientId: 'id-1',
      clientSecret: 'secret',
      method: 'client_secret_basic',
    });
  });

  test('form-decodes Basic credentials (RFC 6749 §2.3.1) and takes the scheme in any case', () => {
    expect(basicCredentials(basic('a%3Ab', 'c%25d+e:f'))).toEqual({
      clientId: 'a:b',
      clientSecret: 'c%d e:f',
      method: 'client_secret_basic',
    });
    expect(basicCredentials(`basic ${Buffer.from('x:y').toString('base64')}`)).toMatchObject({
      clientId: 'x',
    });
    expect(basicCredentials('Bearer a.b.c')).toBeUndefined();
    expect(basicCredentials(undefined)).toBeUndefined();
  });

  test('reads client_secret_post credentials, with a charset on the content type', () => {
    expect(
      parseTokenRequest(
        request(
          'grant_type=client_credentials&client_id=id-2&client_secret=s%2Bt',
          undefined,
          `${FORM}; charset=UTF-8`,
        ),
      ),
    ).toEqual({ clientId: 'id-2', clientSecret: 's+t', method: 'client_secret_post' });
  });

  test('accepts a client_id in the body that repeats the Basic one, and ignores unknown parameters', () => {
    expect(
      parseTokenRequest(
        request('grant_type=client_credentials&client_id=id-1&scope=x&foo=bar', basic('id-1', 's')),
      ),
    ).toMatchObject({ clientId: 'id-1', method: 'client_secret_basic' });
  });

  test.each([
    [
      'a JSON body',
      request('{"grant_type":"client_credentials"}', basic('a', 'b'), 'application/json'),
      'invalid_request',
      'wrong_content_type',
    ],
    [
      'no content type',
      request('grant_type=client_credentials', basic('a', 'b'), null),
      'invalid_request',
      'wrong_content_type',
    ],
    ['no grant_type', request('client_id=a&client_secret=b'), 'invalid_request', 'missing_grant_type'],
    [
      'another grant',
      request('grant_type=password&username=a&password=b'),
      'unsupported_grant_type',
      'unsupported_grant_type',
    ],
    [
      'a repeated parameter',
      request('grant_type=client_credentials&grant_type=client_credentials', basic('a', 'b')),
      'invalid_request',
      'repeated_parameter',
    ],
    [
      'two authentication methods',
      request('grant_type=client_credentials&client_secret=b', basic('a', 'b')),
      'invalid_request',
      'two_auth_methods',
    ],
    [
      'two different client ids',
      request('grant_type=client_credentials&client_id=z', basic('a', 'b')),
      'invalid_request',
      'client_id_mismatch',
    ],
    [
      'a posted secret without client_id',
      request('grant_type=client_credentials&client_secret=b'),
      'invalid_request',
      'missing_client_id',
    ],
    [
      'no client authentication',
      request('grant_type=client_credentials'),
      'invalid_client',
      'no_client_authentication',
    ],
    [
      'Basic credentials without a colon',
      request('grant_type=client_credentials', `Basic ${Buffer.from('ab').toString('base64')}`),
      'invalid_client',
      'malformed_basic',
    ],
    [
      'Basic credentials that are not base64',
      request('grant_type=client_credentials', 'Basic !!!'),
      'invalid_client',
      'malformed_basic',
    ],
    [
      'an empty Basic header',
      request('grant_type=client_credentials', 'Basic'),
      'invalid_client',
      'malformed_basic',
    ],
    [
      'bad percent-encoding in Basic',
      request('grant_type=client_credentials', basic('a%zz', 'b')),
      'invalid_client',
      'malformed_basic',
    ],
    [
      'a body over 8 KiB',
      request(`grant_type=client_credentials&pad=${'x'.repeat(8192)}`, basic('a', 'b')),
      'invalid_request',
      'body_too_large',
    ],
  ])('refuses %s', (_, input, error, reason) => {
    expect(refusal(() => parseTokenRequest(input))).toEqual([error, reason]);
  });

  test('invalid_client is a 401, everything else a 400', () => {
    expect(new OAuthError('invalid_client', 'x').status).toBe(401);
    expect(new OAuthError('invalid_request', 'x').status).toBe(400);
    expect(new OAuthError('unsupported_grant_type', 'x').status).toBe(400);
  });
});

describe('TokenExchange', () => {
  let table: TestTable;
  let db: Db;
  const signer = new LocalTokenSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
  const baseHasher = hmacSecretHasher(Buffer.alloc(32, 3));
  let accessKey: string;
  let secretKey: string;
  let deletedKey: string;
  let deletedSecret: string;

  beforeAll(async () => {
    table = await createTestTable();
    db = createDb(table.tableName, table.client);
    const tokens = new ApiTokenService({ db, clock, audit: new MemoryAuditSink(), hasher: baseHasher });
    ({
      token: { AccessKey: accessKey },
      secretKey,
    } = await tokens.create(ADMIN, { Name: 'ci', Role: 'api_user' }));
    ({
      token: { AccessKey: deletedKey },
      secretKey: deletedSecret,
    } = await tokens.create(ADMIN, { Name: 'old', Role: 'api_admin' }));
    await tokens.delete(ADMIN, deletedKey);
  });
  afterAll(() => table.drop());

  function exchangeWith(options: { audit?: MemoryAuditSink; hasher?: SecretHasher } = {}) {
    const audit = options.audit ?? new MemoryAuditSink();
    const exchange = new TokenExchange({
      db,
      clock,
      audit,
      hasher: options.hasher ?? baseHasher,
      signer,
      issuer: ISSUER,
    });
    return { exchange, audit };
  }

  const credentials = (clientId: string, clientSecret: string): ClientCredentials => ({
    clientId,
    clientSecret,
    method: 'client_secret_basic',
  });

  test('issues an ES256 at+jwt for the token, with its role, valid for an hour', async () => {
    const { exchange } = exchangeWith();
    const response = await exchange.exchange(credentials(accessKey, secretKey));
    expect(response).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 3600 });
    const { kid } = await signer.publicJwk();
    expect(decodeProtectedHeader(response.access_token)).toEqual({ alg: 'ES256', kid, typ: 'at+jwt' });
    const { payload } = await jwtVerify(
      response.access_token,
      createLocalJWKSet({ keys: [{ ...(await signer.publicJwk()) }] }),
      { currentDate: NOW },
    );
    expect(payload).toEqual({
      iss: ISSUER,
      aud: ISSUER,
      sub: accessKey,
      client_id: accessKey,
      token_use: 'access',
      'staxid:role': 'api_user',
      iat: NOW_SECONDS,
      exp: NOW_SECONDS + 3600,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
  });

  test('issues what the authorizer accepts', async () => {
    const { exchange } = exchangeWith();
    const { access_token: token } = await exchange.exchange(credentials(accessKey, secretKey));
    const issuers = [staxidAccessTokenIssuer({ issuer: ISSUER, keys: jwksFromSigner(signer) })];
    await expect(verifyBearerToken(`Bearer ${token}`, { issuers, now: () => NOW })).resolves.toEqual({
      kind: 'token',
      id: accessKey,
      sub: accessKey,
      tokenIssuer: ISSUER,
    });
  });

  test('audits the exchange before signing, without the secret or the token', async () => {
    const { exchange, audit } = exchangeWith();
    const { access_token: token } = await exchange.handle(
      {
        authorization: basic(accessKey, secretKey),
        contentType: FORM,
        body: 'grant_type=client_credentials',
      },
      { requestId: 'req-7', sourceIp: '203.0.113.9', viewerIp: '198.51.100.23', userAgent: 'curl/8' },
    );
    expect(audit.events).toEqual([
      expect.objectContaining({
        staxEventType: 'oauth2.Token',
        outcome: 'SUCCESS',
        actor: { type: 'token', id: accessKey, role: 'api_user' },
        target: [{ type: 'api-token', id: accessKey }],
        detail: {
          authMethod: 'client_secret_basic',
          jti: expect.any(String),
          expiresAt: '2026-01-01T01:00:00.000Z',
          sourceIp: '203.0.113.9',
          claimedViewerIp: '198.51.100.23',
          userAgent: 'curl/8',
        },
        meta: expect.objectContaining({ requestId: 'req-7' }),
      }),
    ]);
    const logged = JSON.stringify(audit.events);
    expect(logged).not.toContain(secretKey);
    expect(logged).not.toContain(token.split('.')[2]);
  });

  test('issues no token when the exchange cannot be audited', async () => {
    const audit = new MemoryAuditSink();
    audit.failWith = new Error('bucket unreachable');
    const sign = jest.spyOn(signer, 'sign');
    try {
      const { exchange } = exchangeWith({ audit });
      await expect(exchange.exchange(credentials(accessKey, secretKey))).rejects.toBeInstanceOf(
        AuditWriteError,
      );
      expect(sign).not.toHaveBeenCalled();
    } finally {
      sign.mockRestore();
    }
  });

  /** Counts the lookups and hashes a refused exchange costs: the same for every way to be wrong. */
  async function refusedExchange(clientId: string, clientSecret: string) {
    const hash = jest.fn((secret: string) => baseHasher.hash(secret));
    const { exchange, audit } = exchangeWith({ hasher: { hash } });
    const send = jest.spyOn(db.doc, 'send');
    try {
      const error = await exchange.exchange(credentials(clientId, clientSecret)).then(
        () => undefined,
        (e: unknown) => e,
      );
      if (!(error instanceof OAuthError)) throw new Error(`expected an OAuthError, got ${String(error)}`);
      return {
        response: [error.status, error.error, error.description],
        reason: error.reason,
        work: [send.mock.calls.length, hash.mock.calls.length],
        audit: audit.events,
      };
    } finally {
      send.mockRestore();
    }
  }

  const INVALID_CLIENT = [
    401,
    'invalid_client',
    'Client authentication failed: unknown AccessKey or wrong SecretKey.',
  ];

  test.each([
    ['a wrong secret', () => [accessKey, 'W'.repeat(32)], 'wrong_secret'],
    ['an unknown AccessKey', () => [UNKNOWN, secretKey], 'unknown_client'],
    ['a DELETED token with its old secret', () => [deletedKey, deletedSecret], 'inactive_client'],
  ])('refuses %s alike: same answer, same work (one GetItem, one hash)', async (_, pair, reason) => {
    const [id = '', secret = ''] = pair();
    const refused = await refusedExchange(id, secret);
    expect(refused.response).toEqual(INVALID_CLIENT);
    expect(refused.reason).toBe(reason);
    expect(refused.work).toEqual([1, 1]);
    expect(refused.audit).toEqual([
      expect.objectContaining({
        staxEventType: 'oauth2.Token',
        outcome: 'FAILURE',
        actor: { type: 'anonymous', id },
        target: [{ type: 'api-token', id }],
        detail: { error: 'invalid_client', reason, authMethod: 'client_secret_basic' },
      }),
    ]);
  });

  test.each([
    ['an AccessKey that is not a UUID', 'ci-token', 'x'.repeat(32)],
    ['a secret of the wrong length', UNKNOWN, 'short'],
  ])('refuses %s without a lookup', async (_, id, secret) => {
    const refused = await refusedExchange(id, secret);
    expect(refused.response).toEqual(INVALID_CLIENT);
    expect(refused.reason).toBe('malformed_credentials');
    expect(refused.work).toEqual([0, 0]);
    expect(refused.audit).toHaveLength(1);
  });

  test('audits a malformed request too', async () => {
    const { exchange, audit } = exchangeWith();
    await expect(
      exchange.handle({ contentType: FORM, body: 'grant_type=password' }, { sourceIp: '198.51.100.1' }),
    ).rejects.toMatchObject({ error: 'unsupported_grant_type' });
    expect(audit.events).toEqual([
      expect.objectContaining({
        outcome: 'FAILURE',
        actor: { type: 'anonymous', id: 'unknown' },
        target: [],
        detail: {
          error: 'unsupported_grant_type',
          reason: 'unsupported_grant_type',
          sourceIp: '198.51.100.1',
        },
      }),
    ]);
  });
});
