import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { cliCallbackUrl, DEFAULT_CALLBACK_PORT, HOSTED_UI_ENDPOINT_NAME } from '@/cli/browser-login';
import { ROUTES, type RouteDefinition } from '@/lambdas/routes';
import { PUBLIC_CONFIG_ENV } from '@/lambdas/shared/constants';
import type { ApiLogger } from '@/local/api-gateway-adapter';
import { CONSOLE_HOSTED_UI_ENV, CONSOLE_ROUTES } from '@/local/console';
import { type LocalService, packageVersion, startLocalService } from '@/local/service';
import { isRunning, killIfRunning } from '@/test/support/processes';

const SECRET_ROUTE: RouteDefinition = {
  operationId: 'ReadSecret',
  method: 'GET',
  path: '/20190206/secret',
  handler: 'lambdas/does-not-exist.ts',
  auth: 'bearer',
  summary: 'A bearer route for this test',
  tag: 'Test',
};

const quiet: ApiLogger = { info: () => {}, error: () => {} };

/**
 * How long one startLocalService may take on a loaded CI machine: DynamoDB Local (Java,
 * 10–30 s there) and cognito-local start one after the other. A test or hook that starts
 * services gets this much per service it starts (jest's 60 s default fits only one, barely).
 */
const PER_SERVICE_MS = 60_000;

/** The start of a code + PKCE sign-in at the hosted UI, coming back to `redirectUri`. */
function authorizeUrl(service: LocalService, redirectUri: string): string {
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: service.endpoints.userPoolClientId,
    redirect_uri: redirectUri,
    state: 'state',
    code_challenge: 'A'.repeat(43),
    code_challenge_method: 'S256',
  });
  return `${service.endpoints.hostedUi}/oauth2/authorize?${query}`;
}

describe('startLocalService', () => {
  let home: string;
  let service: LocalService;
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'staxid-home-'));
    service = await startLocalService({
      home,
      port: 0,
      logger: quiet,
      routes: [...ROUTES, ...CONSOLE_ROUTES, SECRET_ROUTE],
    });
  }, PER_SERVICE_MS);
  afterAll(async () => {
    await service.stop();
    killIfRunning(service.dynamodb.pid);
    rmSync(home, { recursive: true, force: true });
  });

  it('listens on the port it bound, on 127.0.0.1', () => {
    expect(service.port).toBeGreaterThan(0);
    expect(service.url).toBe(`http://127.0.0.1:${service.port}`);
  });

  it('GET /health answers with the service name and the version of package.json', async () => {
    const response = await fetch(`${service.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', service: 'staxid', version: packageVersion() });
    expect(packageVersion()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('GET /openapi.json answers with an OpenAPI 3 document listing /health', async () => {
    const response = await fetch(`${service.url}/openapi.json`);
    expect(response.status).toBe(200);
    const document = (await response.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(document.openapi).toMatch(/^3\./);
    expect(document.paths).toHaveProperty(['/health', 'get']);
  });

  it('answers 404 for an unknown path and 405 for another method', async () => {
    const unknown = await fetch(`${service.url}/20190206/nothing-here`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({
      Error: 'No route for /20190206/nothing-here. GET /openapi.json lists the routes.',
    });

    const wrongMethod = await fetch(`${service.url}/health`, { method: 'DELETE' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET');
  });

  it('answers 401 on a bearer route (no local authorizer yet)', async () => {
    const response = await fetch(`${service.url}/20190206/secret`, {
      headers: { Authorization: 'Bearer x.y.z' },
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      Error: 'Unauthorized: send a valid bearer token in the Authorization header.',
    });
  });

  it('serves the public config with its own API URL and user pool', async () => {
    const response = await fetch(`${service.url}/20190206/public/config`);
    expect(response.status).toBe(200);
    const body = JSON.stringify(await response.json());
    expect(body).toContain(service.url);
    expect(body).toMatch(/local_/);
  });

  it('writes local.json with its endpoints', () => {
    const written: unknown = JSON.parse(readFileSync(join(home, 'local.json'), 'utf8'));
    expect(written).toEqual({
      api: service.url,
      region: 'us-east-1',
      dynamodb: service.dynamodb.endpoint,
      tableName: 'staxid',
      cognito: service.cognito.endpoint,
      userPoolId: expect.stringMatching(/^local_/),
      userPoolClientId: expect.any(String),
      awsSignIn: service.endpoints.awsSignIn,
      sts: service.endpoints.sts,
      hostedUi: service.endpoints.hostedUi,
    });
    expect(service.endpoints.awsSignIn).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/saml$/);
    expect(service.endpoints.hostedUi).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(service.endpoints.hostedUi).not.toBe(service.url);
  });

  it('names its hosted UI in the public config, where `staxid login --browser` looks for it', async () => {
    const response = await fetch(`${service.url}/20190206/public/config`);
    const { API } = (await response.json()) as { API: { endpoints: unknown[] } };
    expect(API.endpoints).toEqual([
      { name: 'staxid', endpoint: service.url, region: 'us-east-1' },
      { name: HOSTED_UI_ENDPOINT_NAME, endpoint: service.endpoints.hostedUi, region: 'us-east-1' },
    ]);
    expect(process.env[PUBLIC_CONFIG_ENV.hostedUiUrl]).toBe(service.endpoints.hostedUi);
  });

  it('lets the hosted UI send people back to the console and to the CLI, and nowhere else', async () => {
    for (const callback of [`${service.url}/console/`, cliCallbackUrl(DEFAULT_CALLBACK_PORT)]) {
      const form = await fetch(authorizeUrl(service, callback));
      expect({ callback, status: form.status }).toEqual({ callback, status: 200 });
      expect(await form.text()).toContain('<form');
    }
    const elsewhere = await fetch(authorizeUrl(service, 'http://127.0.0.1:1/callback'));
    expect(elsewhere.status).toBe(400);
    expect(await elsewhere.text()).toContain('redirect_mismatch');
  });

  it('keeps the console on its password form by default', async () => {
    const response = await fetch(`${service.url}/console/config.json`);
    expect(await response.json()).toEqual({
      mode: 'local',
      cognitoEndpoint: service.cognito.endpoint,
      userPoolClientId: service.endpoints.userPoolClientId,
      region: 'us-east-1',
    });
    expect(process.env[CONSOLE_HOSTED_UI_ENV]).toBeUndefined();
  });

  it('has created the staxid table in its DynamoDB Local', async () => {
    const client = new DynamoDBClient({
      endpoint: service.endpoints.dynamodb,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    try {
      const { TableNames } = await client.send(new ListTablesCommand({}));
      expect(TableNames).toEqual(['staxid']);
    } finally {
      client.destroy();
    }
  });

  it('points the handlers at DynamoDB Local with local credentials only', () => {
    expect(process.env.AWS_ENDPOINT_URL_DYNAMODB).toBe(service.dynamodb.endpoint);
    expect(process.env.STAXID_TABLE_NAME).toBe('staxid');
    expect(process.env.STAXID_VERSION).toBe(packageVersion());
    expect(process.env.AWS_ACCESS_KEY_ID).toBe('local');
  });

  it('records the PID of its DynamoDB Local and its own in $STAXID_HOME/dynamodb/dynamodb-local.pid', () => {
    expect(JSON.parse(readFileSync(join(home, 'dynamodb', 'dynamodb-local.pid'), 'utf8'))).toEqual({
      pid: service.dynamodb.pid,
      ownerPid: process.pid,
    });
  });

  it('refuses a second service on the same STAXID_HOME', async () => {
    await expect(startLocalService({ home, port: 0, logger: quiet })).rejects.toThrow(
      `The database in ${join(home, 'dynamodb')} is already in use by this process.`,
    );
    // The first one still serves.
    expect((await fetch(`${service.url}/health`)).status).toBe(200);
  });

  it('stop() closes the API and the hosted UI, stops DynamoDB Local by its PID, removes local.json and restores the environment', async () => {
    const { pid } = service.dynamodb;
    expect(isRunning(pid)).toBe(true);

    await service.stop();

    expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    expect(existsSync(join(home, 'local.json'))).toBe(false);
    expect(existsSync(join(home, 'dynamodb', 'dynamodb-local.pid'))).toBe(false);
    await expect(fetch(`${service.url}/health`)).rejects.toThrow();
    await expect(fetch(authorizeUrl(service, `${service.url}/console/`))).rejects.toThrow();
    expect(process.env[PUBLIC_CONFIG_ENV.hostedUiUrl]).toBe(savedEnv[PUBLIC_CONFIG_ENV.hostedUiUrl]);
    expect(process.env.AWS_ENDPOINT_URL_DYNAMODB).toBe(savedEnv.AWS_ENDPOINT_URL_DYNAMODB);
    expect(process.env.STAXID_TABLE_NAME).toBe(savedEnv.STAXID_TABLE_NAME);
  });
});

describe("consoleSignIn: 'hosted-ui'", () => {
  it(
    'gives the console the AWS-shaped config.json naming the hosted UI, until stop()',
    async () => {
      const before = process.env[CONSOLE_HOSTED_UI_ENV];
      const home = mkdtempSync(join(tmpdir(), 'staxid-home-'));
      const service = await startLocalService({
        home,
        port: 0,
        logger: quiet,
        routes: [...ROUTES, ...CONSOLE_ROUTES],
        consoleSignIn: 'hosted-ui',
      });
      try {
        const response = await fetch(`${service.url}/console/config.json`);
        expect(await response.json()).toEqual({
          mode: 'aws',
          region: 'us-east-1',
          userPoolClientId: service.endpoints.userPoolClientId,
          hostedUiUrl: service.endpoints.hostedUi,
        });
      } finally {
        await service.stop();
        killIfRunning(service.dynamodb.pid);
        rmSync(home, { recursive: true, force: true });
      }
      expect(process.env[CONSOLE_HOSTED_UI_ENV]).toBe(before);
    },
    PER_SERVICE_MS,
  );
});

describe('the state under STAXID_HOME', () => {
  it(
    'survives a restart',
    async () => {
      const home = mkdtempSync(join(tmpdir(), 'staxid-home-'));
      const started: LocalService[] = [];
      try {
        const first = await startLocalService({ home, port: 0, logger: quiet });
        started.push(first);
        const item = { PK: 'KEEP#1', SK: 'KEEP', Note: 'still here' };
        await withDoc(first.endpoints.dynamodb, (doc) =>
          doc.send(new PutCommand({ TableName: 'staxid', Item: item })),
        );
        await first.stop();

        const second = await startLocalService({ home, port: 0, logger: quiet });
        started.push(second);
        const { Item } = await withDoc(second.endpoints.dynamodb, (doc) =>
          doc.send(new GetCommand({ TableName: 'staxid', Key: { PK: 'KEEP#1', SK: 'KEEP' } })),
        );
        expect(Item).toEqual(item);
        expect(second.dynamodb.pid).not.toBe(first.dynamodb.pid);
      } finally {
        for (const service of started) await service.stop();
        killIfRunning(...started.map((service) => service.dynamodb.pid));
        rmSync(home, { recursive: true, force: true });
      }
    },
    2 * PER_SERVICE_MS,
  );
});

async function withDoc<T>(endpoint: string, use: (doc: DynamoDBDocumentClient) => Promise<T>): Promise<T> {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  try {
    return await use(DynamoDBDocumentClient.from(client));
  } finally {
    client.destroy();
  }
}
