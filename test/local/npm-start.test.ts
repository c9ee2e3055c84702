/**
 * The real entry point, as a separate process: `tsx local/main.ts` is what the `start`
 * script runs. Each test stops the service with a signal and checks that nothing of it
 * is left running.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '@/local/api-gateway-adapter';
import type { LocalEndpoints } from '@/local/service';
import { exitOf, isRunning, killIfRunning, readJsonWhenPresent, waitFor } from '@/test/support/processes';

interface Started {
  readonly child: ChildProcess;
  readonly home: string;
  readonly output: () => string;
}

const children: Started[] = [];
const pidsToReap: number[] = [];

const TSX = join(REPO_ROOT, 'node_modules', '.bin', 'tsx');

/**
 * How long `npm start` may take to come up: tsx, then DynamoDB Local and cognito-local, one
 * after the other; on a loaded CI machine Java alone takes 10–30 s (the launchers give up
 * only after 90 s and 60 s). Each test starts at most one service, then waits for it to stop.
 */
const SERVICE_START_MS = 90_000;
/** How long a service may take to end after a signal, or to fail at its start (tsx compiles first). */
const SERVICE_EXIT_MS = 45_000;
jest.setTimeout(SERVICE_START_MS + 2 * SERVICE_EXIT_MS);

function start(
  command: string,
  args: string[],
  options: { detached?: boolean; port?: string; env?: NodeJS.ProcessEnv } = {},
): Started {
  const home = mkdtempSync(join(tmpdir(), 'staxid-start-'));
  const child = spawn(command, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, PORT: options.port ?? '0', STAXID_HOME: home, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const started = { child, home, output: () => output };
  children.push(started);
  return started;
}

/** Waits for the "listening" line and local.json; returns the endpoints and the PIDs behind them. */
async function ready(
  started: Started,
): Promise<{ endpoints: LocalEndpoints; javaPid: number; nodePid: number }> {
  const endpoints = await waitFor(
    'local.json and the "listening" line',
    () => {
      if (started.child.exitCode !== null) {
        throw new Error(`the service exited with ${started.child.exitCode}:\n${started.output()}`);
      }
      return started.output().includes('staxid listening on ')
        ? readJsonWhenPresent<LocalEndpoints>(join(started.home, 'local.json'))
        : undefined;
    },
    SERVICE_START_MS,
  );
  const pids = readJsonWhenPresent<{ pid: number; ownerPid: number }>(
    join(started.home, 'dynamodb', 'dynamodb-local.pid'),
  );
  if (!pids) throw new Error(`no dynamodb-local.pid under ${started.home}`);
  pidsToReap.push(pids.pid, pids.ownerPid);
  return { endpoints, javaPid: pids.pid, nodePid: pids.ownerPid };
}

afterEach(() => {
  // Only if a test failed halfway: end what it started, by PID.
  killIfRunning(...pidsToReap.splice(0));
  for (const { child, home } of children.splice(0)) {
    killIfRunning(child.pid);
    rmSync(home, { recursive: true, force: true });
  }
});

describe('npm start', () => {
  it('serves /health, writes local.json, and on SIGTERM stops DynamoDB Local and exits 0', async () => {
    const started = start(TSX, ['local/main.ts']);
    const { endpoints, javaPid } = await ready(started);

    expect(endpoints.api).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(started.output()).toContain(`staxid listening on ${endpoints.api}`);
    const response = await fetch(`${endpoints.api}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ok', service: 'staxid' });
    expect(isRunning(javaPid)).toBe(true);

    process.kill(started.child.pid ?? -1, 'SIGTERM');

    expect(await exitOf(started.child, SERVICE_EXIT_MS)).toEqual({ code: 0, signal: null });
    expect(isRunning(javaPid)).toBe(false);
    expect(existsSync(join(started.home, 'local.json'))).toBe(false);
    expect(started.output()).toContain('SIGTERM: stopping staxid...');
  });

  it('stops cleanly on Ctrl-C, which signals the whole process group of `npm start`', async () => {
    const started = start('npm', ['start'], { detached: true });
    const { endpoints, javaPid, nodePid } = await ready(started);
    expect((await fetch(`${endpoints.api}/health`)).status).toBe(200);

    // What a terminal does on Ctrl-C: SIGINT to every process in the foreground group.
    process.kill(-(started.child.pid ?? 0), 'SIGINT');

    await exitOf(started.child, SERVICE_EXIT_MS);
    await waitFor(
      'the service to stop',
      () => (isRunning(nodePid) || isRunning(javaPid) ? undefined : true),
      SERVICE_EXIT_MS,
    );
    expect(isRunning(javaPid)).toBe(false);
    expect(started.output()).toContain('SIGINT: stopping staxid...');
    expect(existsSync(join(started.home, 'local.json'))).toBe(false);
  });

  it('exits 1, saying why, when its DynamoDB Local dies', async () => {
    const started = start(TSX, ['local/main.ts']);
    const { javaPid } = await ready(started);

    process.kill(javaPid, 'SIGKILL');

    expect(await exitOf(started.child, SERVICE_EXIT_MS)).toEqual({ code: 1, signal: null });
    expect(started.output()).toContain(
      `DynamoDB Local (pid ${javaPid}) ended unexpectedly (SIGKILL); stopping staxid.`,
    );
    expect(existsSync(join(started.home, 'local.json'))).toBe(false);
  });

  it('exits 1 with a clear message when PORT is not a port', async () => {
    const started = start(TSX, ['local/main.ts'], { port: 'http' });

    expect(await exitOf(started.child, SERVICE_EXIT_MS)).toEqual({ code: 1, signal: null });
    expect(started.output()).toContain(
      'staxid could not start: PORT must be a port number from 0 to 65535 (0 picks a free one), e.g. PORT=3001; got "http".',
    );
    expect(existsSync(join(started.home, 'dynamodb'))).toBe(false);
  });

  it('exits 1 with a clear message when STAXID_RECONCILE_MINUTES is not a number of minutes', async () => {
    const started = start(TSX, ['local/main.ts'], { env: { STAXID_RECONCILE_MINUTES: '0' } });

    expect(await exitOf(started.child, SERVICE_EXIT_MS)).toEqual({ code: 1, signal: null });
    expect(started.output()).toContain(
      'staxid could not start: STAXID_RECONCILE_MINUTES must be a number of minutes from 1 to 1440 between reconcile runs, e.g. STAXID_RECONCILE_MINUTES=5; got "0".',
    );
    expect(existsSync(join(started.home, 'dynamodb'))).toBe(false);
  });
});
