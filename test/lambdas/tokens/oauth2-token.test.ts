import { AuditWriteError } from '@/lambdas/shared/audit';
import { VIEWER_IP_HEADER } from '@/lambdas/shared/constants';
import type { Logger } from '@/lambdas/shared/logger';
import { BASIC_CHALLENGE, createTokenHandler, handler } from '@/lambdas/tokens/oauth2-token';
import { OAuthError, type TokenExchange, type TokenHttpRequest } from '@/lambdas/tokens/token-exchange';
import { apiEvent, lambdaContext } from '@/test/support/api-event';

const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };
const RESPONSE = { access_token: 'a.b.c', token_type: 'Bearer' as const, expires_in: 3600 };

function quietLog() {
  return { info: jest.fn(), warn: jest.fn(), error: jest.fn() } satisfies Logger;
}

/** The handler around an exchange whose `handle` does what the test says. */
function tokenHandler(handle: (request: TokenHttpRequest) => Promise<typeof RESPONSE>) {
  const log = quietLog();
  const exchange = { handle: jest.fn(handle) } as unknown as TokenExchange;
  return { handle: createTokenHandler(() => exchange, log), exchange, log };
}

const post = (body: string, headers: Record<string, string> = {}) =>
  apiEvent({ method: 'POST', path: '/oauth2/token', body, headers: { ...FORM, ...headers }, caller: null });

describe('POST /oauth2/token', () => {
  test('answers the token with Cache-Control: no-store and Pragma: no-cache', async () => {
    const { handle, exchange } = tokenHandler(async () => RESPONSE);
    const result = await handle(
      post('grant_type=client_credentials', { authorization: 'Basic eDp5' }),
      lambdaContext,
    );
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)).toEqual(RESPONSE);
    expect(result.headers).toMatchObject({ 'Cache-Control': 'no-store', Pragma: 'no-cache' });
    expect(exchange.handle).toHaveBeenCalledWith(
      {
        authorization: 'Basic eDp5',
        contentType: FORM['Content-Type'],
        body: 'grant_type=client_credentials',
      },
      expect.objectContaining({ sourceIp: '127.0.0.1', viewerIp: undefined, userAgent: undefined }),
    );
  });

  test('hands the exchange the viewer address the console distribution set, beside the source IP', async () => {
    const { handle, exchange } = tokenHandler(async () => RESPONSE);
    await handle(
      post('grant_type=client_credentials', {
        authorization: 'Basic eDp5',
        [VIEWER_IP_HEADER]: '198.51.100.23',
      }),
      lambdaContext,
    );
    expect(exchange.handle).toHaveBeenCalledWith(
      expect.anything(),
      expect.objectContaining({ sourceIp: '127.0.0.1', viewerIp: '198.51.100.23' }),
    );
  });

  test('decodes a base64-encoded body', async () => {
    const { handle, exchange } = tokenHandler(async () => RESPONSE);
    const event = {
      ...post(Buffer.from('grant_type=client_credentials').toString('base64')),
      isBase64Encoded: true,
    };
    await handle(event, lambdaContext);
    expect(exchange.handle).toHaveBeenCalledWith(
      expect.objectContaining({ body: 'grant_type=client_credentials' }),
      expect.anything(),
    );
  });

  test('answers invalid_client with 401 and a Basic challenge', async () => {
    const { handle, log } = tokenHandler(async () => {
      throw new OAuthError('invalid_client', 'Client authentication failed.', 'wrong_secret');
    });
    const result = await handle(post('grant_type=client_credentials'), lambdaContext);
    expect(result.statusCode).toBe(401);
    expect(JSON.parse(result.body)).toEqual({
      error: 'invalid_client',
      error_description: 'Client authentication failed.',
    });
    expect(result.headers).toMatchObject({
      'WWW-Authenticate': BASIC_CHALLENGE,
      'Cache-Control': 'no-store',
      Pragma: 'no-cache',
    });
    expect(log.warn).toHaveBeenCalledWith('token request refused', {
      requestId: expect.any(String),
      error: 'invalid_client',
      reason: 'wrong_secret',
    });
  });

  test('answers other errors of RFC 6749 §5.2 with 400 and no challenge', async () => {
    const { handle } = tokenHandler(async () => {
      throw new OAuthError('unsupported_grant_type', 'Only grant_type=client_credentials is supported.');
    });
    const result = await handle(post('grant_type=password'), lambdaContext);
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body)).toMatchObject({ error: 'unsupported_grant_type' });
    expect(result.headers).not.toHaveProperty('WWW-Authenticate');
  });

  test('answers 503 when the exchange cannot be audited', async () => {
    const { handle, log } = tokenHandler(async () => {
      throw new AuditWriteError(new Error('AccessDenied'));
    });
    const result = await handle(post('grant_type=client_credentials'), lambdaContext);
    expect(result.statusCode).toBe(503);
    expect(JSON.parse(result.body)).toMatchObject({ error: 'temporarily_unavailable' });
    expect(log.error).toHaveBeenCalledWith(
      'audit write failed: no token issued',
      expect.objectContaining({ errorMessage: 'AccessDenied' }),
    );
  });

  test('answers 500 server_error revealing nothing but the request id', async () => {
    const { handle } = tokenHandler(async () => {
      throw new Error('connect ECONNREFUSED 10.0.0.1:443');
    });
    const event = post('grant_type=client_credentials');
    const result = await handle(event, lambdaContext);
    expect(result.statusCode).toBe(500);
    expect(JSON.parse(result.body)).toEqual({
      error: 'server_error',
      error_description: `Internal error: quote request id ${event.requestContext.requestId}.`,
    });
  });

  test('the deployed handler answers 500 without its configuration, and says nothing of it', async () => {
    const error = jest.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const result = await handler(post('grant_type=client_credentials'), lambdaContext);
      expect(result.statusCode).toBe(500);
      expect(result.body).not.toContain('STAXID');
    } finally {
      error.mockRestore();
    }
  });
});
