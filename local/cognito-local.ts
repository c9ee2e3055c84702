/**
 * Runs cognito-local (the npm package, a Cognito user pool emulator) as a child process of
 * this one, for `npm start` and the integration tests, and gives it the user pool and app
 * client staxid expects.
 *
 * - It listens on 127.0.0.1 only, on a free port; its state lives in `<dataDir>/.cognito/`.
 * - The child is started through a small watchdog: it ends itself when its IPC channel to
 *   this process closes, so it never outlives its parent, even one killed with SIGKILL.
 * - It is stopped by its PID (SIGTERM, then SIGKILL), never by name.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import {
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  DescribeUserPoolClientCommand,
  DescribeUserPoolCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-cognito-identity-provider';
import { AUTHORIZER_ENV } from '@/lambdas/auth/authorizer-env';
import { OUTBOX_DIR_ENV, PUBLIC_CONFIG_ENV, USER_POOL_ID_ENV } from '@/lambdas/shared/constants';
import { freePort } from '@/local/dynamodb-local';

export interface CognitoLocalOptions {
  /** cognito-local's working directory: its state goes to `<dataDir>/.cognito/`. Created when missing. */
  readonly dataDir: string;
  /** @default a free port on 127.0.0.1 */
  readonly port?: number;
  /** @default 20000 */
  readonly startTimeoutMs?: number;
  /** How long `stop()` waits after SIGTERM before SIGKILL. @default 5000 */
  readonly stopTimeoutMs?: number;
}

export interface CognitoLocal {
  /** `http://127.0.0.1:<port>`: the Cognito endpoint (`AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER`). */
  readonly endpoint: string;
  readonly port: number;
  readonly pid: number;
  readonly dataDir: string;
  /** Settles when the process has ended, however; with its last output. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>;
  /** Stops exactly this process and resolves once it has exited. */
  stop(): Promise<void>;
}

export class CognitoLocalStartError extends Error {
  readonly code = 'CognitoLocalStartFailed';
  override readonly name = 'CognitoLocalStartError';
}

/** The entry point of the cognito-local package (its `bin`). */
export function cognitoLocalBin(): string {
  const packageJson = require.resolve('cognito-local/package.json');
  const bin = join(dirname(packageJson), 'lib', 'bin', 'start.js');
  if (!existsSync(bin)) {
    throw new CognitoLocalStartError(
      `cognito-local is missing ${bin}: reinstall the dependencies with \`npm ci\`.`,
    );
  }
  return bin;
}

/** Runs in the child before cognito-local: end when the parent goes away (its IPC channel closes). */
const WATCHDOG = "process.on('disconnect', () => process.exit(0)); require(process.argv[1]);";

export async function startCognitoLocal(options: CognitoLocalOptions): Promise<CognitoLocal> {
  const dataDir = resolve(options.dataDir);
  mkdirSync(join(dataDir, '.cognito'), { recursive: true });
  const attempts = options.port === undefined ? 3 : 1;
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await freePort());
    try {
      return await launch({ ...options, dataDir, port });
    } catch (error) {
      if (!(error instanceof PortInUseError) || attempt >= attempts) throw error;
    }
  }
}

class PortInUseError extends CognitoLocalStartError {}

async function launch(
  options: CognitoLocalOptions & { dataDir: string; port: number },
): Promise<CognitoLocal> {
  const { dataDir, port } = options;
  const endpoint = `http://127.0.0.1:${port}`;
  writeConfig(dataDir, endpoint);
  const child = spawn(process.execPath, ['-e', WATCHDOG, cognitoLocalBin()], {
    cwd: dataDir,
    env: childEnvironment(port),
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const output: string[] = [];
  const collect = (chunk: Buffer): void => {
    output.push(chunk.toString('utf8'));
    if (output.length > 50) output.splice(0, output.length - 50);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>(
    (settle) => {
      const done = (): void =>
        settle({ code: child.exitCode, signal: child.signalCode, output: output.join('') });
      if (child.exitCode !== null || child.signalCode !== null) done();
      else child.once('exit', done);
    },
  );
  const pid = await new Promise<number>((resolvePid, reject) => {
    child.once('spawn', () =>
      child.pid === undefined ? reject(new Error('no pid')) : resolvePid(child.pid),
    );
    child.once('error', reject);
  }).catch((error: unknown) => {
    throw new CognitoLocalStartError(`cognito-local could not be started: ${(error as Error).message}`);
  });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= terminate(child, pid, exited, options.stopTimeoutMs ?? 5000);
    return stopping;
  };
  try {
    const line = `Cognito Local running on ${endpoint}`;
    await waitUntilReady(
      endpoint,
      () => output.join('').includes(line),
      exited,
      options.startTimeoutMs ?? 20_000,
    );
  } catch (error) {
    await stop();
    const text = output.join('');
    if (/EADDRINUSE/.test(text)) throw new PortInUseError(`cognito-local could not bind port ${port}`);
    throw error;
  }
  return { endpoint, port, pid, dataDir, exited, stop };
}

/** Usernames are not emails (a local user's username is their staxid id); tokens name this endpoint as issuer. */
function writeConfig(dataDir: string, endpoint: string): void {
  const config = {
    UserPoolDefaults: { UsernameAttributes: [] },
    TokenConfig: { IssuerDomain: endpoint },
  };
  writeFileAtomically(join(dataDir, '.cognito', 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
}

function childEnvironment(port: number): NodeJS.ProcessEnv {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ'];
  const env: NodeJS.ProcessEnv = {};
  for (const name of keep) if (process.env[name] !== undefined) env[name] = process.env[name];
  return {
    ...env,
    PORT: String(port),
    HOST: '127.0.0.1',
    NODE_NO_WARNINGS: '1',
    AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1',
  };
}

/**
 * Ready once this child says it listens (so that another process already on the port cannot
 * pass for it), and answers.
 */
async function waitUntilReady(
  endpoint: string,
  listening: () => boolean,
  exited: Promise<{ output: string }>,
  timeoutMs: number,
): Promise<void> {
  let ended: { output: string } | undefined;
  void exited.then((result) => {
    ended = result;
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (ended) {
      throw new CognitoLocalStartError(
        `cognito-local exited before it answered: ${ended.output.trim().slice(-2000)}`,
      );
    }
    if (listening()) {
      try {
        const response = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1000) });
        if (response.ok) return;
      } catch {
        // not answering yet
      }
    }
    await delay(25);
  }
  throw new CognitoLocalStartError(`cognito-local did not answer on ${endpoint} within ${timeoutMs} ms`);
}

async function terminate(
  child: ChildProcess,
  pid: number,
  exited: Promise<unknown>,
  timeoutMs: number,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  signal(pid, 'SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    exited.then(() => false),
    new Promise<boolean>((resolveTimeout) => {
      timer = setTimeout(() => resolveTimeout(true), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  if (timedOut) {
    signal(pid, 'SIGKILL');
    await exited;
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolveDelay) => setTimeout(resolveDelay, ms));
}

function writeFileAtomically(file: string, content: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, content);
  renameSync(temporary, file);
}

// ---- the user pool and app client ------------------------------------------------------------

export interface LocalUserPool {
  readonly userPoolId: string;
  readonly userPoolClientId: string;
}

/** An SDK client for a cognito-local endpoint (dummy credentials: nothing here may reach AWS). */
export function cognitoLocalClient(endpoint: string, region = 'us-east-1'): CognitoIdentityProviderClient {
  return new CognitoIdentityProviderClient({
    endpoint,
    region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 2,
  });
}

/** Where the ids of the pool and client are kept between starts. */
const POOL_FILE = 'staxid-user-pool.json';

/**
 * The staxid user pool and console client in this cognito-local: created on first start,
 * their ids kept in `<dataDir>/staxid-user-pool.json`, reused afterwards (and created again
 * if they have gone).
 */
export async function ensureUserPool(
  instance: Pick<CognitoLocal, 'endpoint' | 'dataDir'>,
): Promise<LocalUserPool> {
  const client = cognitoLocalClient(instance.endpoint);
  const file = join(instance.dataDir, POOL_FILE);
  try {
    const kept = readPoolFile(file);
    if (kept && (await exists(client, kept))) return kept;
    const created = await createUserPool(client);
    writeFileAtomically(file, `${JSON.stringify(created, null, 2)}\n`);
    return created;
  } finally {
    client.destroy();
  }
}

function readPoolFile(file: string): LocalUserPool | undefined {
  try {
    const value: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (typeof value !== 'object' || value === null) return undefined;
    const { userPoolId, userPoolClientId } = value as Record<string, unknown>;
    if (typeof userPoolId !== 'string' || typeof userPoolClientId !== 'string') return undefined;
    return { userPoolId, userPoolClientId };
  } catch {
    return undefined;
  }
}

async function exists(client: CognitoIdentityProviderClient, pool: LocalUserPool): Promise<boolean> {
  try {
    await client.send(new DescribeUserPoolCommand({ UserPoolId: pool.userPoolId }));
    const described = await client.send(
      new DescribeUserPoolClientCommand({ UserPoolId: pool.userPoolId, ClientId: pool.userPoolClientId }),
    );
    return described.UserPoolClient?.ClientId === pool.userPoolClientId;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return false;
    throw error;
  }
}

/** As the Identity stack's pool, where cognito-local can follow: usernames are ids, email is a sign-in alias. */
export async function createUserPool(client: CognitoIdentityProviderClient): Promise<LocalUserPool> {
  const pool = await client.send(
    new CreateUserPoolCommand({
      PoolName: 'staxid',
      AliasAttributes: ['email'],
      AutoVerifiedAttributes: ['email'],
      UsernameConfiguration: { CaseSensitive: false },
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      Policies: {
        PasswordPolicy: {
          MinimumLength: 14,
          RequireLowercase: true,
          RequireUppercase: true,
          RequireNumbers: true,
          RequireSymbols: true,
          TemporaryPasswordValidityDays: 1,
        },
      },
    }),
  );
  const userPoolId = pool.UserPool?.Id;
  if (!userPoolId) throw new Error('cognito-local created a user pool without an id');
  const appClient = await client.send(
    new CreateUserPoolClientCommand({
      UserPoolId: userPoolId,
      ClientName: 'staxid-console',
      GenerateSecret: false,
      ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
    }),
  );
  const userPoolClientId = appClient.UserPoolClient?.ClientId;
  if (!userPoolClientId) throw new Error('cognito-local created an app client without an id');
  return { userPoolId, userPoolClientId };
}

/**
 * What the handlers need to use this cognito-local as their user pool, as the Identity stack
 * sets it in AWS: the pool (users), the console client (public config), the issuer the
 * authorizer trusts, the SDK endpoint, and the outbox that stands in for Cognito's mail.
 */
export function userDirectoryEnvironment(input: {
  readonly endpoint: string;
  readonly pool: LocalUserPool;
  readonly outboxDir: string;
}): Record<string, string> {
  return {
    [USER_POOL_ID_ENV]: input.pool.userPoolId,
    [PUBLIC_CONFIG_ENV.userPoolClientId]: input.pool.userPoolClientId,
    [OUTBOX_DIR_ENV]: input.outboxDir,
    [AUTHORIZER_ENV.cognitoIssuer]: `${input.endpoint}/${input.pool.userPoolId}`,
    [AUTHORIZER_ENV.cognitoClientId]: input.pool.userPoolClientId,
    // Every Cognito client built without an explicit endpoint goes to cognito-local (SDK v3 reads this).
    AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: input.endpoint,
  };
}
