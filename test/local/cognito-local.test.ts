/**
 * local/cognito-local.ts: cognito-local as a child process on 127.0.0.1, the staxid pool
 * and client created once and kept, stopped by PID, and never outliving its parent.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AdminCreateUserCommand,
  AdminGetUserCommand,
  AdminSetUserPasswordCommand,
  DescribeUserPoolCommand,
  InitiateAuthCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { decodeJwt } from 'jose';
import { MemoryAuditSink } from '@/lambdas/shared/audit';
import { createDb } from '@/lambdas/shared/db';
import { newId } from '@/lambdas/shared/ids';
import { NO_FEDERATION_ROLES } from '@/lambdas/triggers/federation';
import { createPostAuthenticationHandler } from '@/lambdas/triggers/post-authentication';
import { createPreTokenGenerationHandler } from '@/lambdas/triggers/pre-token-generation';
import { SIGN_IN_MESSAGES } from '@/lambdas/triggers/sign-in';
import { AUTH_ORIGIN, userItem, userKey } from '@/lambdas/users/user-model';
import { REPO_ROOT } from '@/local/api-gateway-adapter';
import {
  type CognitoLocal,
  CognitoLocalStartError,
  cognitoLocalClient,
  ensureUserPool,
  startCognitoLocal,
  userDirectoryEnvironment,
} from '@/local/cognito-local';
import { createTestTable } from '@/test/support/dynamodb';
import { isRunning, killIfRunning, waitFor, waitForExit } from '@/test/support/processes';

let root: string;
const started: CognitoLocal[] = [];

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'staxid-cognito-local-'));
});
afterAll(async () => {
  await Promise.all(started.map((instance) => instance.stop()));
  killIfRunning(...started.map((instance) => instance.pid));
  rmSync(root, { recursive: true, force: true });
});

async function start(dataDir: string): Promise<CognitoLocal> {
  const instance = await startCognitoLocal({ dataDir });
  started.push(instance);
  return instance;
}

describe('startCognitoLocal', () => {
  // How fast it starts depends on the machine's load; the launcher's own deadline bounds it.
  it('answers on 127.0.0.1, and stop() ends exactly that process', async () => {
    const instance = await start(join(root, 'a'));
    expect(instance.endpoint).toBe(`http://127.0.0.1:${instance.port}`);
    const health = await fetch(`${instance.endpoint}/health`);
    expect(await health.json()).toEqual({ ok: true });
    expect(isRunning(instance.pid)).toBe(true);

    await instance.stop();
    expect(isRunning(instance.pid)).toBe(false);
    expect(await instance.exited).toMatchObject({ signal: 'SIGTERM' });
  });

  it('refuses a port that is taken, naming it', async () => {
    const first = await start(join(root, 'b'));
    const taken = startCognitoLocal({ dataDir: join(root, 'c'), port: first.port });
    await expect(taken).rejects.toBeInstanceOf(CognitoLocalStartError);
    await expect(taken).rejects.toThrow(`cognito-local could not bind port ${first.port}`);
  });

  it('ends by itself when its parent dies, even by SIGKILL', async () => {
    const script = join(root, 'parent.ts');
    writeFileSync(
      script,
      [
        `import { startCognitoLocal } from ${JSON.stringify(join(REPO_ROOT, 'local', 'cognito-local.ts'))};`,
        `startCognitoLocal({ dataDir: ${JSON.stringify(join(root, 'orphan'))} }).then((c) => console.log('PARENT ' + process.pid + ' PID ' + c.pid));`,
      ].join('\n'),
    );
    const parent = spawn(join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), [script], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    parent.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    parent.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    let pids: { parent: number; child: number } | undefined;
    try {
      pids = await waitFor('cognito-local to start under the parent', () => {
        if (parent.exitCode !== null) throw new Error(`the parent exited: ${output}`);
        const match = /PARENT (\d+) PID (\d+)/.exec(output);
        return match ? { parent: Number(match[1]), child: Number(match[2]) } : undefined;
      });
      expect(isRunning(pids.child)).toBe(true);
      // tsx runs the script in a node process of its own: kill that one, the launcher's process.
      process.kill(pids.parent, 'SIGKILL');
      await expect(waitForExit(pids.child, 5000)).resolves.toBe(true);
    } finally {
      killIfRunning(parent.pid, pids?.parent, pids?.child);
    }
  });
});

describe('ensureUserPool', () => {
  it('creates the pool and client once, keeps their ids, and keeps users across restarts', async () => {
    const dataDir = join(root, 'pool');
    const first = await start(dataDir);
    const pool = await ensureUserPool(first);
    expect(pool.userPoolId).toMatch(/^local_/);
    expect(await ensureUserPool(first)).toEqual(pool);
    expect(JSON.parse(readFileSync(join(dataDir, 'staxid-user-pool.json'), 'utf8'))).toEqual(pool);

    const client = cognitoLocalClient(first.endpoint);
    const described = await client.send(new DescribeUserPoolCommand({ UserPoolId: pool.userPoolId }));
    expect(described.UserPool?.AliasAttributes).toEqual(['email']);
    expect(described.UserPool?.UsernameAttributes ?? []).toEqual([]);
    // a local user's username is their staxid id, not an email
    const username = '0f8fad5b-d9cb-469f-a165-70867728950e';
    await client.send(
      new AdminCreateUserCommand({
        UserPoolId: pool.userPoolId,
        Username: username,
        MessageAction: 'SUPPRESS',
        UserAttributes: [{ Name: 'email', Value: 'kept@example.com' }],
      }),
    );
    client.destroy();
    await first.stop();

    const second = await start(dataDir);
    expect(await ensureUserPool(second)).toEqual(pool);
    const again = cognitoLocalClient(second.endpoint);
    const user = await again.send(
      new AdminGetUserCommand({ UserPoolId: pool.userPoolId, Username: username }),
    );
    again.destroy();
    expect(user.Username).toBe(username);
  });

  it('creates them again when the kept ones are gone', async () => {
    const dataDir = join(root, 'gone');
    const instance = await start(dataDir);
    writeFileSync(
      join(dataDir, 'staxid-user-pool.json'),
      JSON.stringify({ userPoolId: 'local_gone', userPoolClientId: 'nope' }),
    );
    const pool = await ensureUserPool(instance);
    expect(pool.userPoolId).not.toBe('local_gone');
    expect(existsSync(join(dataDir, '.cognito', 'db', `${pool.userPoolId}.json`))).toBe(true);
  });
});

describe('userDirectoryEnvironment', () => {
  it('points the handlers, the authorizer and the SDK at cognito-local', () => {
    expect(
      userDirectoryEnvironment({
        endpoint: 'http://127.0.0.1:9229',
        pool: { userPoolId: 'local_abc', userPoolClientId: 'client1' },
        outboxDir: '/home/x/.staxid/outbox',
      }),
    ).toEqual({
      STAXID_USER_POOL_ID: 'local_abc',
      STAXID_USER_POOL_CLIENT_ID: 'client1',
      STAXID_OUTBOX_DIR: '/home/x/.staxid/outbox',
      COGNITO_ISSUER: 'http://127.0.0.1:9229/local_abc',
      COGNITO_CLIENT_ID: 'client1',
      AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: 'http://127.0.0.1:9229',
    });
  });
});

describe('triggers', () => {
  it('runs the staxid sign-in triggers: a DISABLED user is refused with the message, an ACTIVE one gets claims', async () => {
    const table = await createTestTable();
    const db = createDb(table.tableName, table.client);
    const audit = new MemoryAuditSink();
    const instance = await startCognitoLocal({
      dataDir: join(root, 'triggers'),
      triggers: {
        PostAuthentication: createPostAuthenticationHandler(() => ({
          db,
          clock: { now: () => new Date() },
          audit,
          roles: NO_FEDERATION_ROLES,
        })),
        PreTokenGeneration: createPreTokenGenerationHandler(() => db),
      },
    });
    started.push(instance);
    try {
      const pool = await ensureUserPool(instance);
      const client = cognitoLocalClient(instance.endpoint);
      const id = newId();
      const now = new Date().toISOString();
      await table.doc.send(
        new PutCommand({
          TableName: table.tableName,
          Item: userItem({
            Id: id,
            Email: `${id}@example.com`,
            FirstName: 'Ada',
            LastName: 'Lovelace',
            Role: 'customer_user',
            Status: 'ACTIVE',
            AuthOrigin: AUTH_ORIGIN.local,
            CognitoUsername: id,
            CreatedTS: now,
            ModifiedTS: now,
            Version: 1,
          }),
        }),
      );
      await client.send(
        new AdminCreateUserCommand({
          UserPoolId: pool.userPoolId,
          Username: id,
          MessageAction: 'SUPPRESS',
          UserAttributes: [{ Name: 'email', Value: `${id}@example.com` }],
        }),
      );
      const password = 'Correct-Horse-Battery-9';
      await client.send(
        new AdminSetUserPasswordCommand({
          UserPoolId: pool.userPoolId,
          Username: id,
          Password: password,
          Permanent: true,
        }),
      );
      const signIn = () =>
        client.send(
          new InitiateAuthCommand({
            ClientId: pool.userPoolClientId,
            AuthFlow: 'USER_PASSWORD_AUTH',
            AuthParameters: { USERNAME: id, PASSWORD: password },
          }),
        );

      const tokens = await signIn();
      expect(decodeJwt(tokens.AuthenticationResult?.IdToken ?? '')).toMatchObject({
        'staxid:user_id': id,
        'staxid:role': 'customer_user',
      });
      expect(audit.events).toEqual([
        expect.objectContaining({ staxEventType: 'UserAuthenticationEvent', outcome: 'SUCCESS' }),
      ]);

      await table.doc.send(
        new UpdateCommand({
          TableName: table.tableName,
          Key: userKey(id),
          UpdateExpression: 'SET #status = :disabled',
          ExpressionAttributeNames: { '#status': 'Status' },
          ExpressionAttributeValues: { ':disabled': 'DISABLED' },
        }),
      );
      await expect(signIn()).rejects.toThrow(SIGN_IN_MESSAGES.notActive);
      expect(audit.events.map((event) => event.outcome)).toEqual(['SUCCESS', 'FAILURE']);
      client.destroy();
    } finally {
      await instance.stop();
      await table.drop();
    }
  });
});
