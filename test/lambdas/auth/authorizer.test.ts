import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { SignJWT, UnsecuredJWT } from 'jose';
import { CALLER_CONTEXT } from '@/lambdas/auth/authenticate';
import { apiMethodsArn, createAuthorizer, handler, type RejectionLog } from '@/lambdas/auth/authorizer';
import { AUTHORIZER_ENV, trustedIssuersFromEnv } from '@/lambdas/auth/authorizer-env';
import {
  cognitoAccessTokenIssuer,
  jwksFromSigner,
  staxidAccessTokenIssuer,
} from '@/lambdas/auth/verify-token';
import { CALLER_CONTEXT as PIPELINE_CALLER_CONTEXT } from '@/lambdas/shared/api';
import { LOCAL_KEYS_DIR_ENV, TOKEN_ISSUER_ENV } from '@/lambdas/shared/constants';
import { createDb, type Db } from '@/lambdas/shared/db';
import { ENTITY, entityKey } from '@/lambdas/shared/keys';
import { createTestTable, type TestTable } from '@/test/support/dynamodb';
import {
  ACCESS_KEY,
  CLIENT_ID,
  createStaxidKey,
  createTestPool,
  ISSUER,
  NOW,
  NOW_SECONDS,
  STAXID_ISSUER,
  staxidTokenClaims,
  type TestPool,
  type TestStaxidKey,
} from './token-fixtures';

const METHOD_ARN = 'arn:aws:execute-api:eu-west-1:222222222222:a1b2c3d4e5/v1/GET/20190206/users/u-1';
const API_ARN = 'arn:aws:execute-api:eu-west-1:222222222222:a1b2c3d4e5/v1/*/*';

/** Users by their id (= Cognito username), and API tokens by AccessKey, as the table holds them. */
const ACTIVE_USER = '7a1c3e2b-0000-4000-8000-0000000000a1';
const DISABLED_USER = '7a1c3e2b-0000-4000-8000-0000000000a2';
const INVITED_USER = '7a1c3e2b-0000-4000-8000-0000000000a3';
const ROLELESS_USER = '7a1c3e2b-0000-4000-8000-0000000000a4';
const UNKNOWN_USER = '7a1c3e2b-0000-4000-8000-0000000000a5';
const DELETED_TOKEN = '3f1c2a4b-5d6e-4f70-8a9b-0c1d2e3f4a5c';
const LATER_DELETED_TOKEN = '3f1c2a4b-5d6e-4f70-8a9b-0c1d2e3f4a5d';

let pool: TestPool;
let staxid: TestStaxidKey;
let table: TestTable;
let db: Db;

beforeAll(async () => {
  [pool, staxid, table] = await Promise.all([createTestPool(), createStaxidKey(), createTestTable()]);
  db = createDb(table.tableName, table.client);
  const items = [
    { ...entityKey(ENTITY.user, ACTIVE_USER), Status: 'ACTIVE', Role: 'customer_admin' },
    { ...entityKey(ENTITY.user, DISABLED_USER), Status: 'DISABLED', Role: 'customer_admin' },
    { ...entityKey(ENTITY.user, INVITED_USER), Status: 'INVITED', Role: 'customer_user' },
    { ...entityKey(ENTITY.user, ROLELESS_USER), Status: 'ACTIVE', Role: 'api_admin' },
    // The JWT says api_admin; the table says api_user, and the table wins.
    { ...entityKey(ENTITY.apiToken, ACCESS_KEY), Status: 'ACTIVE', Role: 'api_user' },
    { ...entityKey(ENTITY.apiToken, DELETED_TOKEN), Status: 'DELETED', Role: 'api_admin' },
    { ...entityKey(ENTITY.apiToken, LATER_DELETED_TOKEN), Status: 'ACTIVE', Role: 'api_admin' },
  ];
  await Promise.all(
    items.map((Item) => table.doc.send(new PutCommand({ TableName: table.tableName, Item }))),
  );
});
afterAll(() => table.drop());

function event(authorizationToken: string): APIGatewayTokenAuthorizerEvent {
  return { type: 'TOKEN', methodArn: METHOD_ARN, authorizationToken };
}

function authorizerWithLog() {
  const log = jest.fn<ReturnType<RejectionLog>, Parameters<RejectionLog>>();
  const authorize = createAuthorizer({
    issuers: () => [
      cognitoAccessTokenIssuer({ issuer: ISSUER, clientId: CLIENT_ID, keys: pool.keys }),
      staxidAccessTokenIssuer({ issuer: STAXID_ISSUER, keys: jwksFromSigner(staxid.signer) }),
    ],
    db: () => db,
    now: () => NOW,
    logRejection: log,
  });
  return { authorize, log };
}

const userToken = (username: string) => pool.sign({ username });
const apiToken = (accessKey: string) => staxid.sign({ sub: accessKey, client_id: accessKey });

function allowed(principalId: string, context: Record<string, string>) {
  return {
    principalId,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: API_ARN }],
    },
    context,
  };
}

describe('createAuthorizer', () => {
  test('allows an ACTIVE user into every method of the stage, with the role from the user item', async () => {
    const { authorize, log } = authorizerWithLog();
    await expect(authorize(event(`Bearer ${await userToken(ACTIVE_USER)}`))).resolves.toEqual(
      allowed(ACTIVE_USER, { callerKind: 'user', callerId: ACTIVE_USER, callerRole: 'customer_admin' }),
    );
    expect(log).not.toHaveBeenCalled();
  });

  test("allows an ACTIVE API token with the token item's role, not the JWT's", async () => {
    const { authorize } = authorizerWithLog();
    await expect(authorize(event(`Bearer ${await apiToken(ACCESS_KEY)}`))).resolves.toEqual(
      allowed(ACCESS_KEY, { callerKind: 'token', callerId: ACCESS_KEY, callerRole: 'api_user' }),
    );
  });

  test('reads the table once per authorization', async () => {
    const { authorize } = authorizerWithLog();
    const send = jest.spyOn(db.doc, 'send');
    try {
      await authorize(event(`Bearer ${await apiToken(ACCESS_KEY)}`));
      expect(send).toHaveBeenCalledTimes(1);
      expect(send.mock.calls[0]?.[0].constructor.name).toBe('GetCommand');
    } finally {
      send.mockRestore();
    }
  });

  test.each([
    [
      'a DISABLED user',
      () => userToken(DISABLED_USER),
      'inactive_caller',
      'the user is DISABLED, not ACTIVE',
    ],
    ['an INVITED user', () => userToken(INVITED_USER), 'inactive_caller', 'the user is INVITED, not ACTIVE'],
    [
      'a user without a user role',
      () => userToken(ROLELESS_USER),
      'inactive_caller',
      'the user has no valid role',
    ],
    [
      'an unknown user',
      () => userToken(UNKNOWN_USER),
      'unknown_caller',
      "no user item for the token's subject",
    ],
    [
      'a DELETED API token, even with a valid unexpired JWT',
      () => apiToken(DELETED_TOKEN),
      'inactive_caller',
      'the token is DELETED, not ACTIVE',
    ],
  ])('answers Unauthorized to %s', async (_, token, reason, detail) => {
    const { authorize, log } = authorizerWithLog();
    await expect(authorize(event(`Bearer ${await token()}`))).rejects.toThrow(new Error('Unauthorized'));
    expect(log).toHaveBeenCalledWith({ reason, detail });
  });

  test('refuses a JWT it allowed before once its API token is deleted', async () => {
    const { authorize } = authorizerWithLog();
    const header = `Bearer ${await apiToken(LATER_DELETED_TOKEN)}`;
    await expect(authorize(event(header))).resolves.toMatchObject({ principalId: LATER_DELETED_TOKEN });
    await table.doc.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: entityKey(ENTITY.apiToken, LATER_DELETED_TOKEN),
        UpdateExpression: 'SET #status = :deleted',
        ExpressionAttributeNames: { '#status': 'Status' },
        ExpressionAttributeValues: { ':deleted': 'DELETED' },
      }),
    );
    await expect(authorize(event(header))).rejects.toThrow(new Error('Unauthorized'));
  });

  test.each([
    ['alg none', () => Promise.resolve(new UnsecuredJWT(staxidTokenClaims()).encode())],
    ['a key not in the JWKS', async () => (await createStaxidKey()).sign()],
    [
      'HS256 with the public key as secret',
      async () =>
        new SignJWT(staxidTokenClaims())
          .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
          .sign(new TextEncoder().encode(JSON.stringify(await staxid.signer.publicJwk()))),
    ],
    ['a wrong issuer', () => staxid.sign({ iss: 'https://evil.example.com' })],
    ['a wrong audience', () => staxid.sign({ aud: 'https://evil.example.com' })],
    ['an expiry more than 60 s ago', () => staxid.sign({ exp: NOW_SECONDS - 61 })],
    ['a Cognito token of another client', () => pool.sign({ username: ACTIVE_USER, client_id: 'other' })],
  ])('answers Unauthorized to a token with %s', async (_, token) => {
    const { authorize, log } = authorizerWithLog();
    await expect(authorize(event(`Bearer ${await token()}`))).rejects.toThrow(new Error('Unauthorized'));
    expect(log).toHaveBeenCalledTimes(1);
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
      ...event(`Bearer ${await userToken(ACTIVE_USER)}`),
      methodArn: 'arn:aws:lambda:eu-west-1:222222222222:function:x',
    };
    await expect(authorize(bad)).rejects.toThrow(new Error('Unauthorized'));
    expect(log).toHaveBeenCalledWith({
      reason: 'error',
      detail: 'methodArn is not an execute-api method ARN',
    });
  });

  test('puts the caller under the keys the API pipeline reads', () => {
    expect(CALLER_CONTEXT).toEqual(PIPELINE_CALLER_CONTEXT);
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
  let keys: string;
  beforeAll(() => {
    keys = mkdtempSync(join(tmpdir(), 'staxid-keys-'));
  });
  afterAll(() => rmSync(keys, { recursive: true, force: true }));

  const complete = () => ({
    [AUTHORIZER_ENV.cognitoIssuer]: ISSUER,
    [AUTHORIZER_ENV.cognitoClientId]: CLIENT_ID,
    [TOKEN_ISSUER_ENV]: STAXID_ISSUER,
    [LOCAL_KEYS_DIR_ENV]: keys,
  });

  test('trusts the configured Cognito pool for its client, and staxid itself', () => {
    const issuers = trustedIssuersFromEnv(complete());
    expect(issuers.map((issuer) => [issuer.issuer, issuer.algorithms])).toEqual([
      [ISSUER, ['RS256']],
      [STAXID_ISSUER, ['ES256']],
    ]);
  });

  test('trusts staxid alone when Cognito may be absent and is', () => {
    const env = {
      ...complete(),
      [AUTHORIZER_ENV.cognitoIssuer]: undefined,
      [AUTHORIZER_ENV.cognitoClientId]: undefined,
    };
    const issuers = trustedIssuersFromEnv(env, { requireCognito: false });
    expect(issuers.map((issuer) => issuer.issuer)).toEqual([STAXID_ISSUER]);
  });

  test.each([
    [{ [AUTHORIZER_ENV.cognitoIssuer]: undefined }, 'environment variable COGNITO_ISSUER is not set'],
    [{ [AUTHORIZER_ENV.cognitoClientId]: '' }, 'environment variable COGNITO_CLIENT_ID is not set'],
    [{ [TOKEN_ISSUER_ENV]: undefined }, 'environment variable STAXID_TOKEN_ISSUER is not set'],
    [
      { [LOCAL_KEYS_DIR_ENV]: undefined },
      'environment variable STAXID_TOKEN_SIGNING_KEY_ID (the KMS key ARN) is not set, nor STAXID_LOCAL_KEYS_DIR (local mode)',
    ],
  ])('refuses an incomplete environment %j', (missing, message) => {
    expect(() => trustedIssuersFromEnv({ ...complete(), ...missing })).toThrow(message);
  });
});
