/**
 * An HTTP server in the test process that plays the staxid API contract the CLI relies on
 * (ARCHITECTURE §4): POST /oauth2/token (client_secret_basic), GET /20190206/public/config
 * (built by the real publicConfig()), GET /20190206/users/me, GET /20190206/users/me/aws-roles
 * and POST /20190206/aws/sign-in in mode credentials. People are cognito-local users: their
 * access tokens are accepted by the claims the authorizer checks (token_use, client_id, exp);
 * API tokens get opaque tokens, and the sign-in route refuses them with 403 as the real one does.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AwsRole } from '@/cli/api';
import { publicConfig } from '@/lambdas/tasks/public-config';

export interface FakeApiOptions {
  readonly cognitoEndpoint: string;
  readonly userPoolId: string;
  readonly userPoolClientId: string;
  readonly apiToken: { readonly accessKey: string; readonly secretKey: string };
  readonly roles: readonly AwsRole[];
  /** The region the public config names: eu-west-2 unless a test plays a hostile API. */
  readonly region?: string;
}

export interface FakeApi {
  readonly url: string;
  /** How many times each route was called, by `METHOD path`. */
  readonly calls: Map<string, number>;
  /** The bearer tokens the API accepted, in order. */
  readonly bearers: string[];
  stop(): Promise<void>;
}

const REGION = 'eu-west-2';

export async function startFakeApi(options: FakeApiOptions): Promise<FakeApi> {
  const calls = new Map<string, number>();
  const bearers: string[] = [];
  const apiTokens = new Set<string>();
  let issued = 0;
  let url = '';

  const routes: Record<string, (request: IncomingMessage, body: string) => [number, unknown]> = {
    'POST /oauth2/token': (request, body) => {
      const expected = Buffer.from(`${options.apiToken.accessKey}:${options.apiToken.secretKey}`).toString(
        'base64',
      );
      if (request.headers.authorization !== `Basic ${expected}`) {
        return [401, { error: 'invalid_client', error_description: 'The AccessKey or SecretKey is wrong.' }];
      }
      if (new URLSearchParams(body).get('grant_type') !== 'client_credentials') {
        return [400, { error: 'unsupported_grant_type', error_description: 'Only client_credentials.' }];
      }
      issued += 1;
      const token = `api-token-jwt-${issued}`;
      apiTokens.add(token);
      return [200, { access_token: token, token_type: 'Bearer', expires_in: 3600 }];
    },
    'GET /20190206/public/config': () => [
      200,
      publicConfig({
        apiUrl: url,
        region: options.region ?? REGION,
        userPoolId: options.userPoolId,
        userPoolClientId: options.userPoolClientId,
        identityPoolId: '',
      }),
    ],
    'GET /20190206/users/me': (request) => {
      const caller = callerOf(request);
      if (!caller) return unauthorized();
      return [200, { Id: caller.id, Kind: caller.kind }];
    },
    'GET /20190206/users/me/aws-roles': (request) => {
      const caller = callerOf(request);
      if (!caller) return unauthorized();
      return [200, { Roles: caller.kind === 'user' ? options.roles : [] }];
    },
    'POST /20190206/aws/sign-in': (request, body) => {
      const caller = callerOf(request);
      if (!caller) return unauthorized();
      if (caller.kind === 'api-token') {
        return [403, { Error: 'API tokens cannot sign in to AWS: AWS sign-in is for people.' }];
      }
      const { AccountId, RoleName, Mode } = JSON.parse(body) as Record<string, unknown>;
      if (Mode !== 'credentials') return [400, { Error: 'Mode must be console or credentials' }];
      if (!options.roles.some((role) => role.AccountId === AccountId && role.RoleName === RoleName)) {
        return [403, { Error: `You do not hold ${String(RoleName)} in account ${String(AccountId)}.` }];
      }
      const n = calls.get('POST /20190206/aws/sign-in') ?? 0;
      return [
        200,
        {
          Version: 1,
          AccessKeyId: `ASIALOCAL${String(n).padStart(8, '0')}`,
          SecretAccessKey: `secret-${AccountId}-${RoleName}-${n}`,
          SessionToken: `session-${n}`,
          Expiration: new Date(Date.now() + 3600_000).toISOString(),
        },
      ];
    },
  };

  /** An opaque API token we issued, or a cognito-local access token for the console client that has not expired. */
  function callerOf(request: IncomingMessage): { kind: 'user' | 'api-token'; id: string } | undefined {
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    if (!token) return undefined;
    bearers.push(token);
    if (apiTokens.has(token)) return { kind: 'api-token', id: options.apiToken.accessKey };
    try {
      const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
      const valid =
        claims.token_use === 'access' &&
        claims.client_id === options.userPoolClientId &&
        claims.iss === `${options.cognitoEndpoint}/${options.userPoolId}` &&
        claims.exp * 1000 > Date.now();
      return valid ? { kind: 'user', id: claims.sub } : undefined;
    } catch {
      return undefined;
    }
  }

  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const key = `${request.method} ${request.url}`;
      calls.set(key, (calls.get(key) ?? 0) + 1);
      const route = routes[key];
      const [status, body] = route
        ? route(request, Buffer.concat(chunks).toString('utf8'))
        : [404, { Error: `No route ${key}` }];
      response.writeHead(status, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    calls,
    bearers,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function unauthorized(): [number, unknown] {
  return [401, { message: 'Unauthorized' }];
}

/** Accounts and roles the test user holds. */
export const TEST_ROLES: readonly AwsRole[] = [
  {
    AccountId: '111111111111',
    AccountName: 'Production',
    RoleName: 'staxid-admin-role',
    RoleArn: 'arn:aws:iam::111111111111:role/staxid/staxid-admin-role',
    Source: 'builtin',
  },
  {
    AccountId: '111111111111',
    AccountName: 'Production',
    RoleName: 'staxid-readonly-role',
    RoleArn: 'arn:aws:iam::111111111111:role/staxid/staxid-readonly-role',
    Source: 'builtin',
  },
  {
    AccountId: '222222222222',
    AccountName: 'Dev Sandbox',
    RoleName: 'staxid-developer-role',
    RoleArn: 'arn:aws:iam::222222222222:role/staxid/staxid-developer-role',
    Source: 'builtin',
  },
];

/** The cognito-local a fake API accepts people of. */
export interface FakeApiCognito {
  readonly endpoint: string;
  readonly userPoolId: string;
  readonly userPoolClientId: string;
}

/**
 * The fake API over a test cognito-local, with TEST_ROLES and an API token nobody uses,
 * unless `overrides` say otherwise.
 */
export function startFakeApiOver(
  cognito: FakeApiCognito,
  overrides: Partial<Omit<FakeApiOptions, 'cognitoEndpoint' | 'userPoolId' | 'userPoolClientId'>> = {},
): Promise<FakeApi> {
  return startFakeApi({
    cognitoEndpoint: cognito.endpoint,
    userPoolId: cognito.userPoolId,
    userPoolClientId: cognito.userPoolClientId,
    apiToken: { accessKey: 'unused', secretKey: 'unused' },
    roles: TEST_ROLES,
    ...overrides,
  });
}
