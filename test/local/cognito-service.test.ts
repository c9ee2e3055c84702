/**
 * The local service with cognito-local: started and stopped with it, the pool and client
 * created on first start and kept in STAXID_HOME, local.json naming them, and CreateUser
 * over HTTP inviting through cognito-local into `$STAXID_HOME/outbox`.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdminGetUserCommand } from '@aws-sdk/client-cognito-identity-provider';
import { CALLER_CONTEXT } from '@/lambdas/shared/api';
import { OUTBOX_DIR_ENV, USER_POOL_ID_ENV } from '@/lambdas/shared/constants';
import type { ApiLogger, Authorizer } from '@/local/api-gateway-adapter';
import { cognitoLocalClient } from '@/local/cognito-local';
import { type LocalEndpoints, type LocalService, startLocalService } from '@/local/service';
import { ADMIN } from '@/test/support/api-event';
import { isRunning, killIfRunning } from '@/test/support/processes';

const quiet: ApiLogger = { info: () => {}, error: () => {} };

/** Lets every bearer request through as an Admin: the authorizer is not what this file tests. */
const asAdmin: Authorizer = async () => ({
  effect: 'allow',
  principalId: ADMIN.id,
  context: {
    [CALLER_CONTEXT.kind]: ADMIN.kind,
    [CALLER_CONTEXT.id]: ADMIN.id,
    [CALLER_CONTEXT.role]: ADMIN.role,
  },
});

let home: string;
let service: LocalService | undefined;
const pids: number[] = [];

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'staxid-cognito-service-'));
  service = await startLocalService({ home, port: 0, logger: quiet, authorize: asAdmin });
  pids.push(service.dynamodb.pid, service.cognito.pid);
});
afterAll(async () => {
  await service?.stop();
  killIfRunning(...pids);
  rmSync(home, { recursive: true, force: true });
});

function running(): LocalService {
  if (!service) throw new Error('the service is not running');
  return service;
}

describe('the local service with cognito-local', () => {
  it('writes cognito, userPoolId and userPoolClientId to local.json and gives the handlers the pool', () => {
    const endpoints = JSON.parse(readFileSync(join(home, 'local.json'), 'utf8')) as LocalEndpoints;
    expect(endpoints).toMatchObject({
      cognito: running().cognito.endpoint,
      userPoolId: expect.stringMatching(/^local_/),
      userPoolClientId: expect.any(String),
    });
    expect(endpoints.cognito).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(process.env[USER_POOL_ID_ENV]).toBe(endpoints.userPoolId);
    expect(process.env[OUTBOX_DIR_ENV]).toBe(join(home, 'outbox'));
    expect(process.env.AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER).toBe(endpoints.cognito);
  });

  it('invites a user over HTTP: a pool user named by the staxid id, and a message in the outbox', async () => {
    const response = await fetch(`${running().url}/20190206/idam/user`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: 'Bearer test' },
      body: JSON.stringify({ Email: 'curl@example.com', FirstName: 'Curl', LastName: 'User' }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { TaskId: string };
    expect(body.TaskId).toMatch(/^[0-9a-f-]{36}$/);

    const [file] = readdirSync(join(home, 'outbox'));
    const message = JSON.parse(readFileSync(join(home, 'outbox', String(file)), 'utf8')) as Record<
      string,
      string
    >;
    expect(message).toMatchObject({ To: 'curl@example.com', Subject: 'Your staxid invitation' });
    expect(message.TemporaryPassword).toHaveLength(20);

    const users = await fetch(`${running().url}/20190206/users?status_filter=INVITED`, {
      headers: { Authorization: 'Bearer test' },
    });
    const listed = (await users.json()) as { Users: Array<{ Id: string; Email: string }> };
    const invited = listed.Users.find((user) => user.Email === 'curl@example.com');
    expect(invited?.Id).toBe(message.Username);

    const client = cognitoLocalClient(running().cognito.endpoint);
    const poolUser = await client.send(
      new AdminGetUserCommand({ UserPoolId: running().endpoints.userPoolId, Username: String(invited?.Id) }),
    );
    client.destroy();
    expect(poolUser.UserStatus).toBe('FORCE_CHANGE_PASSWORD');
  });

  it('stops cognito-local with the service, and a second start reuses the pool and its users', async () => {
    const first = running();
    const { userPoolId, userPoolClientId } = first.endpoints;
    await first.stop();
    expect(isRunning(first.cognito.pid)).toBe(false);
    expect(isRunning(first.dynamodb.pid)).toBe(false);

    service = await startLocalService({ home, port: 0, logger: quiet, authorize: asAdmin });
    pids.push(service.dynamodb.pid, service.cognito.pid);
    expect(service.endpoints).toMatchObject({ userPoolId, userPoolClientId });
    const message = JSON.parse(
      readFileSync(join(home, 'outbox', String(readdirSync(join(home, 'outbox'))[0])), 'utf8'),
    ) as Record<string, string>;
    const client = cognitoLocalClient(service.cognito.endpoint);
    const poolUser = await client.send(
      new AdminGetUserCommand({ UserPoolId: userPoolId, Username: message.Username }),
    );
    client.destroy();
    expect(poolUser.Username).toBe(message.Username);
  });
});
