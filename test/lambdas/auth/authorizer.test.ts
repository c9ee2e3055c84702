import type { APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { apiMethodsArn, createAuthorizer, handler, type RejectionLog } from '@/lambdas/auth/authorizer';
import { AUTHORIZER_ENV, trustedIssuersFromEnv } from '@/lambdas/auth/authorizer-env';
import { cognitoAccessTokenIssuer } from '@/lambdas/auth/verify-token';
import {
  CLIENT_ID,
  createTestPool,
  ISSUER,
  NOW,
  NOW_SECONDS,
  SUB,
  type TestPool,
  USERNAME,
} from './token-fixtures';

const METHOD_ARN = 'arn:aws:execute-api:eu-west-1:222222222222:a1b2c3d4e5/v1/GET/20190206/users/u-1';
const API_ARN = 'arn:aws:execute-api:eu-west-1:222222222222:a1b2c3d4e5/v1/*/*';

let pool: TestPool;
beforeAll(async () => {
  pool = await createTestPool();
});

function event(authorizationToken: string): APIGatewayTokenAuthorizerEvent {
  return { type: 'TOKEN', methodArn: METHOD_ARN, authorizationToken };
}

function authorizerWithLog() {
  const log = jest.fn<ReturnType<RejectionLog>, Parameters<RejectionLog>>();
  const authorize = createAuthorizer({
    issuers: () => [cognitoAccessTokenIssuer({ issuer: ISSUER, clientId: CLIENT_ID, keys: pool.keys })],
    now: () => NOW,
    logRejection: log,
  });
  return { authorize, log };
}

describe('createAuthorizer', () => {
  test('allows a valid token into every method of the stage, with the caller as context', async () => {
    const { authorize, log } = authorizerWithLog();
    await expect(authorize(event(`Bearer ${await pool.sign()}`))).resolves.toEqual({
      principalId: SUB,
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: API_ARN }],
      },
      context: { sub: SUB, username: USERNAME, tokenIssuer: ISSUER },
    });
    expect(log).not.toHaveBeenCalled();
  });

  test('answers Unauthorized to an expired token and logs why, without the token', async () => {
    const { authorize, log } = authorizerWithLog();
    const token = await pool.sign({ exp: NOW_SECONDS - 120 });
    await expect(authorize(event(`Bearer ${token}`))).rejects.toThrow(new Error('Unauthorized'));
    expect(log).toHaveBeenCalledWith({
      reason: 'invalid_token',
      detail: 'ERR_JWT_EXPIRED: "exp" claim timestamp check failed',
    });
    const logged = JSON.stringify(log.mock.calls);
    for (const part of token.split('.')) expect(logged).not.toContain(part);
  });

  test.each([
    ['an empty header', ''],
    ['another scheme', 'Basic dXNlcjpwYXNz'],
  ])('answers Unauthorized to %s', async (_, header) => {
    const { authorize, log } = authorizerWithLog();
    await expect(authorize(event(header))).rejects.toThrow(new Error('Unauthorized'));
    expect(log).toHaveBeenCalledTimes(1);
  });

  test('answers Unauthorized when the method ARN is not an execute-api ARN', async () => {
    const { authorize, log } = authorizerWithLog();
    const bad = {
      ...event(`Bearer ${await pool.sign()}`),
      methodArn: 'arn:aws:lambda:eu-west-1:222222222222:function:x',
    };
    await expect(authorize(bad)).rejects.toThrow(new Error('Unauthorized'));
    expect(log).toHaveBeenCalledWith({
      reason: 'error',
      detail: 'methodArn is not an execute-api method ARN',
    });
  });
});

describe('handler', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
    jest.restoreAllMocks();
  });

  test('answers Unauthorized and logs the missing configuration when deployed without it', async () => {
    delete process.env[AUTHORIZER_ENV.cognitoIssuer];
    delete process.env[AUTHORIZER_ENV.cognitoClientId];
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    await expect(handler(event(`Bearer ${await pool.sign()}`))).rejects.toThrow(new Error('Unauthorized'));
    expect(warn).toHaveBeenCalledWith(
      JSON.stringify({
        message: 'bearer token rejected',
        reason: 'error',
        detail: 'environment variable COGNITO_ISSUER is not set',
      }),
    );
  });
});

describe('apiMethodsArn', () => {
  test.each([
    [METHOD_ARN, API_ARN],
    ['arn:aws:execute-api:eu-west-1:222222222222:a1b2c3d4e5/v1/POST/', API_ARN],
    [
      'arn:aws-cn:execute-api:cn-north-1:222222222222:zz99/prod/DELETE/x/y',
      'arn:aws-cn:execute-api:cn-north-1:222222222222:zz99/prod/*/*',
    ],
  ])('%s -> %s', (methodArn, expected) => {
    expect(apiMethodsArn(methodArn)).toBe(expected);
  });

  test('refuses anything else', () => {
    expect(() => apiMethodsArn('a1b2c3d4e5/v1/GET/x')).toThrow(
      new Error('methodArn is not an execute-api method ARN'),
    );
  });
});

describe('trustedIssuersFromEnv', () => {
  test('trusts the configured Cognito pool for the configured client', () => {
    const issuers = trustedIssuersFromEnv({
      [AUTHORIZER_ENV.cognitoIssuer]: ISSUER,
      [AUTHORIZER_ENV.cognitoClientId]: CLIENT_ID,
    });
    expect(issuers.map((issuer) => [issuer.issuer, issuer.algorithms])).toEqual([[ISSUER, ['RS256']]]);
  });

  test.each([
    [{ [AUTHORIZER_ENV.cognitoClientId]: CLIENT_ID }, 'environment variable COGNITO_ISSUER is not set'],
    [
      { [AUTHORIZER_ENV.cognitoIssuer]: ISSUER, [AUTHORIZER_ENV.cognitoClientId]: '' },
      'environment variable COGNITO_CLIENT_ID is not set',
    ],
  ])('refuses an incomplete environment %j', (env, message) => {
    expect(() => trustedIssuersFromEnv(env)).toThrow(message);
  });
});
