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
  DescribeUserPoolCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { REPO_ROOT } from '@/local/api-gateway-adapter';
import {
  type CognitoLocal,
  CognitoLocalStartError,
  cognitoLocalClient,
  ensureUserPool,
  startCognitoLocal,
  userDirectoryEnvironment,
} from '@/local/cognito-local';
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
  it('answers on 127.0.0.1 within seconds, and stop() ends exactly that process', async () => {
    const t0 = Date.now();
    const instance = await start(join(root, 'a'));
    const startMs = Date.now() - t0;
    expect(instance.endpoint).toBe(`http://127.0.0.1:${instance.port}`);
    expect(startMs).toBeLessThan(10_000);
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
