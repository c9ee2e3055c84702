import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCAL_KEYS_DIR_ENV, TOKEN_ISSUER_ENV } from '@/lambdas/shared/constants';
import { signerFromEnv } from '@/lambdas/shared/signing';
import { handler as jwksHandler } from '@/lambdas/tokens/jwks';
import { handler as discoveryHandler } from '@/lambdas/tokens/openid-configuration';
import { apiEvent, lambdaContext } from '@/test/support/api-event';

const ISSUER = 'https://api.staxid.example.com/v1';
const saved = { ...process.env };
let keys: string;

beforeAll(() => {
  keys = mkdtempSync(join(tmpdir(), 'staxid-keys-'));
});
afterEach(() => {
  process.env = { ...saved };
});
afterAll(() => rmSync(keys, { recursive: true, force: true }));

const get = (path: string) => apiEvent({ path, caller: null });

describe('GET /.well-known/openid-configuration', () => {
  test('names the issuer, the token endpoint, the JWKS and what they support; cacheable briefly', async () => {
    process.env[TOKEN_ISSUER_ENV] = `${ISSUER}/`;
    const result = await discoveryHandler(get('/.well-known/openid-configuration'), lambdaContext);
    expect(result.statusCode).toBe(200);
    expect(result.headers).toMatchObject({ 'Cache-Control': 'public, max-age=300' });
    expect(JSON.parse(result.body)).toEqual({
      issuer: ISSUER,
      token_endpoint: `${ISSUER}/oauth2/token`,
      jwks_uri: `${ISSUER}/.well-known/jwks.json`,
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      response_types_supported: [],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['ES256'],
      service_documentation: `${ISSUER}/openapi.json`,
    });
  });

  test('answers a bare 500 when the issuer is not configured', async () => {
    delete process.env[TOKEN_ISSUER_ENV];
    const error = jest.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const result = await discoveryHandler(get('/.well-known/openid-configuration'), lambdaContext);
      expect(result.statusCode).toBe(500);
      expect(result.body).not.toContain(TOKEN_ISSUER_ENV);
    } finally {
      error.mockRestore();
    }
  });
});

describe('GET /.well-known/jwks.json', () => {
  test('publishes the public signing key only, cacheable briefly', async () => {
    process.env[LOCAL_KEYS_DIR_ENV] = keys;
    const result = await jwksHandler(get('/.well-known/jwks.json'), lambdaContext);
    expect(result.statusCode).toBe(200);
    expect(result.headers).toMatchObject({ 'Cache-Control': 'public, max-age=300' });
    const body = JSON.parse(result.body) as { keys: Record<string, unknown>[] };
    expect(body).toEqual({ keys: [await signerFromEnv().publicJwk()] });
    expect(body.keys[0]).not.toHaveProperty('d');
    expect(Object.keys(body.keys[0] ?? {}).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
  });
});
