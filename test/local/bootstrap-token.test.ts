import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { ApiLogger } from '@/local/api-gateway-adapter';
import { type LocalService, startLocalService } from '@/local/service';
import { killIfRunning } from '@/test/support/processes';

/**
 * `npm start` on empty state writes an Admin API token to `$STAXID_HOME/bootstrap-token.json`;
 * it is exchanged at /oauth2/token (as curl would) for a JWT that calls the API through the
 * local authorizer; deleting the token makes that JWT useless on the next call; a second
 * start reuses the state.
 */

interface Credentials {
  readonly AccessKey: string;
  readonly SecretKey: string;
}

function recordingLogger(): ApiLogger & { readonly lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (message) => lines.push(message), error: (message) => lines.push(message) };
}

async function exchange(url: string, credentials: Credentials, method: 'basic' | 'post' = 'basic') {
  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded' };
  if (method === 'basic') {
    headers.Authorization = `Basic ${Buffer.from(`${credentials.AccessKey}:${credentials.SecretKey}`).toString('base64')}`;
  } else {
    form.set('client_id', credentials.AccessKey);
    form.set('client_secret', credentials.SecretKey);
  }
  const response = await fetch(`${url}/oauth2/token`, { method: 'POST', headers, body: form.toString() });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

async function accessToken(url: string, credentials: Credentials): Promise<string> {
  const { status, body } = await exchange(url, credentials);
  expect(status).toBe(200);
  if (typeof body.access_token !== 'string') throw new Error('no access_token in the token response');
  return body.access_token;
}

/** Every API token item in the table, whatever its status. */
async function tokenItems(service: LocalService): Promise<Record<string, unknown>[]> {
  const client = new DynamoDBClient({
    endpoint: service.endpoints.dynamodb,
    region: service.endpoints.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const { Items } = await DynamoDBDocumentClient.from(client).send(
      new QueryCommand({
        TableName: service.endpoints.tableName,
        IndexName: 'GSI1',
        KeyConditionExpression: 'GSI1PK = :kind',
        ExpressionAttributeValues: { ':kind': 'APITOKEN' },
      }),
    );
    return Items ?? [];
  } finally {
    client.destroy();
  }
}

describe('the bootstrap token of local mode', () => {
  let home: string;
  let service: LocalService | undefined;
  let credentials: Credentials;
  let firstFile: string;
  const log = recordingLogger();
  const running = (): LocalService => {
    if (!service) throw new Error('the local service is not running');
    return service;
  };

  // Refused exchanges are logged as warnings by the handlers: expected here.
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'staxid-bootstrap-'));
    service = await startLocalService({ home, port: 0, logger: log });
    firstFile = readFileSync(join(home, 'bootstrap-token.json'), 'utf8');
    credentials = JSON.parse(firstFile) as Credentials;
  });
  afterAll(async () => {
    warn.mockRestore();
    await service?.stop();
    killIfRunning(service?.dynamodb.pid);
    rmSync(home, { recursive: true, force: true });
  });

  it('writes the credentials once, readable by the owner only, and says where (not what) they are', () => {
    const file = join(home, 'bootstrap-token.json');
    expect(Object.keys(credentials).sort()).toEqual(['AccessKey', 'SecretKey']);
    expect(credentials.SecretKey).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(log.lines).toContain(
      `Bootstrap API token (api_admin) written to ${file}: exchange it at ${running().url}/oauth2/token`,
    );
    expect(log.lines.join('\n')).not.toContain(credentials.SecretKey);
  });

  it('publishes discovery with the local API as the issuer', async () => {
    const url = running().url;
    const discovery = (await (await fetch(`${url}/.well-known/openid-configuration`)).json()) as Record<
      string,
      unknown
    >;
    expect(discovery).toMatchObject({ issuer: url, token_endpoint: `${url}/oauth2/token` });
    const jwks = (await (await fetch(`${url}/.well-known/jwks.json`)).json()) as { keys: unknown[] };
    expect(jwks.keys).toEqual([expect.objectContaining({ kty: 'EC', crv: 'P-256', alg: 'ES256' })]);
  });

  it('exchanges the token (Basic and form credentials) and calls the API with the JWT', async () => {
    const url = running().url;
    const token = await accessToken(url, credentials);
    const posted = await exchange(url, credentials, 'post');
    expect(posted.status).toBe(200);
    expect(posted.headers.get('cache-control')).toBe('no-store');

    const response = await fetch(`${url}/20190206/api-tokens`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      ApiTokens: [
        expect.objectContaining({ AccessKey: credentials.AccessKey, Role: 'api_admin', Status: 'ACTIVE' }),
      ],
    });
  });

  it('refuses a wrong secret with invalid_client and a Basic challenge', async () => {
    const refused = await exchange(running().url, { ...credentials, SecretKey: 'x'.repeat(32) });
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ error: 'invalid_client' });
    expect(refused.headers.get('www-authenticate')).toBe('Basic realm="staxid", charset="UTF-8"');
  });

  it('a second start reuses the state: no new token, the same file, the same credentials work', async () => {
    await service?.stop();
    killIfRunning(service?.dynamodb.pid);
    service = undefined;
    // Handlers keep per-container clients at module scope; a new start is a new "container".
    jest.resetModules();
    const again = recordingLogger();
    service = await startLocalService({ home, port: 0, logger: again });
    expect(readFileSync(join(home, 'bootstrap-token.json'), 'utf8')).toBe(firstFile);
    expect(await tokenItems(service)).toHaveLength(1);
    expect(again.lines).toContain(
      `API tokens exist; the bootstrap token's credentials are in ${join(home, 'bootstrap-token.json')}`,
    );
    await expect(accessToken(service.url, credentials)).resolves.toMatch(/^ey/);
  });

  it('deleting the token refuses its JWT on the very next call, and its credentials', async () => {
    const url = running().url;
    const token = await accessToken(url, credentials);
    const bearer = { Authorization: `Bearer ${token}` };
    const deleted = await fetch(`${url}/20190206/api-tokens/${credentials.AccessKey}`, {
      method: 'DELETE',
      headers: bearer,
    });
    expect(deleted.status).toBe(200);
    const refused = await fetch(`${url}/20190206/api-tokens`, { headers: bearer });
    expect(refused.status).toBe(401);
    expect((await exchange(url, credentials)).status).toBe(401);
    expect(await tokenItems(running())).toEqual([
      expect.objectContaining({ AccessKey: credentials.AccessKey, Status: 'DELETED' }),
    ]);
  });

  it('wrote every change and every exchange to the audit trail under STAXID_HOME/audit/events/', async () => {
    await running().flushAudit();
    const root = join(home, 'audit');
    const events = readdirSync(root, { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.json'))
      .map((file) => {
        expect(file).toMatch(/^events\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/[0-9a-f-]{36}\.json$/);
        return JSON.parse(readFileSync(join(root, file), 'utf8')) as {
          staxEventType: string;
          outcome: string;
          actor: { type: string };
        };
      });
    const summary = (type: string) =>
      events
        .filter((event) => event.staxEventType === type)
        .map((event) => `${event.outcome}:${event.actor.type}`)
        .sort();
    expect(summary('teams.CreateApiToken')).toEqual(['SUCCESS:system']);
    expect(summary('teams.DeleteApiToken')).toEqual(['SUCCESS:token']);
    expect(summary('oauth2.Token')).toEqual([
      'FAILURE:anonymous',
      'FAILURE:anonymous',
      ...Array<string>(4).fill('SUCCESS:token'),
    ]);
    expect(JSON.stringify(events)).not.toContain(credentials.SecretKey);
  });
});
