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
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
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
  /** How long cognito-local may take to answer before the start gives up (a loaded machine is slow). @default 60000 */
  readonly startTimeoutMs?: number;
  /** How long `stop()` waits after SIGTERM before SIGKILL. @default 5000 */
  readonly stopTimeoutMs?: number;
  /**
   * Cognito triggers run in this process, as the deployed pool runs the Lambdas: cognito-local
   * invokes them through a Lambda Invoke endpoint served here (`LambdaClient.endpoint`).
   * @default - no triggers
   */
  readonly triggers?: LocalTriggers;
}

/**
 * The triggers cognito-local can run for staxid. It sends the post-authentication event as
 * Cognito does; it applies only ID-token claim overrides of pre-token generation (V1
 * semantics), so access tokens lack the staxid claims locally, but a refusal still stops
 * the token issue.
 */
export interface LocalTriggers {
  readonly PostAuthentication?: (event: never) => Promise<unknown>;
  readonly PreTokenGeneration?: (event: never) => Promise<unknown>;
}

/** The function names cognito-local is told to invoke for each trigger. */
const TRIGGER_FUNCTION_NAMES: Readonly<Record<keyof LocalTriggers, string>> = {
  PostAuthentication: 'staxid-post-authentication',
  PreTokenGeneration: 'staxid-pre-token-generation',
};

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
  const triggers = await serveTriggers(options.triggers);
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await freePort());
    try {
      return await launch({ ...options, dataDir, port }, triggers);
    } catch (error) {
      if (!(error instanceof PortInUseError) || attempt >= attempts) {
        await triggers?.close();
        throw error;
      }
    }
  }
}

class PortInUseError extends CognitoLocalStartError {}

/** The local Lambda endpoint of the triggers, or nothing when there are none. */
interface TriggerEndpoint {
  readonly endpoint: string;
  readonly functions: Readonly<Record<string, string>>;
  close(): Promise<void>;
}

/**
 * Serves the Lambda Invoke API (`POST /2015-03-31/functions/<name>/invocations`) for the
 * triggers on 127.0.0.1: the result is the function's payload; a thrown error becomes an
 * `X-Amz-Function-Error: Unhandled` payload `{errorMessage}`, which cognito-local turns
 * into the sign-in error Cognito shows ("PostAuthentication failed with error ...").
 */
async function serveTriggers(triggers: LocalTriggers | undefined): Promise<TriggerEndpoint | undefined> {
  const names = Object.keys(triggers ?? {}) as (keyof LocalTriggers)[];
  if (!triggers || names.length === 0) return undefined;
  const byFunction = new Map(names.map((name) => [TRIGGER_FUNCTION_NAMES[name], triggers[name]]));
  const server = createServer((request, response) => {
    void invokeTrigger(byFunction, request, response);
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    functions: Object.fromEntries(names.map((name) => [name, TRIGGER_FUNCTION_NAMES[name]])),
    close: () => closeServer(server),
  };
}

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

async function invokeTrigger(
  byFunction: ReadonlyMap<string, ((event: never) => Promise<unknown>) | undefined>,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const name = decodeURIComponent(INVOKE_PATH.exec(request.url ?? '')?.[1] ?? '');
  const handler = byFunction.get(name);
  if (request.method !== 'POST' || !handler) {
    response.writeHead(404, { 'content-type': 'application/json' }).end('{"Message":"Function not found"}');
    return;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  try {
    const event: never = JSON.parse(Buffer.concat(chunks).toString('utf8')) as never;
    const result = await handler(event);
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(withV1Claims(result)));
  } catch (error) {
    const errorMessage = error instanceof Error ? error.message : String(error);
    const errorType = error instanceof Error ? error.name : 'Error';
    response
      .writeHead(200, { 'content-type': 'application/json', 'x-amz-function-error': 'Unhandled' })
      .end(JSON.stringify({ errorMessage, errorType }));
  }
}

/**
 * cognito-local reads pre-token-generation responses as V1 (`claimsOverrideDetails`, ID
 * token only): the ID-token claims of a V2 response are copied there, so that local ID
 * tokens carry the staxid claims as deployed ones do. Other results pass unchanged.
 */
function withV1Claims(result: unknown): unknown {
  if (typeof result !== 'object' || result === null || !('response' in result)) return result;
  const response = result.response as {
    claimsAndScopeOverrideDetails?: { idTokenGeneration?: { claimsToAddOrOverride?: unknown } };
  } | null;
  const claims = response?.claimsAndScopeOverrideDetails?.idTokenGeneration?.claimsToAddOrOverride;
  if (claims === undefined) return result;
  return { ...result, response: { ...response, claimsOverrideDetails: { claimsToAddOrOverride: claims } } };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((closed) => {
    server.close(() => closed());
    server.closeAllConnections();
  });
}

async function launch(
  options: CognitoLocalOptions & { dataDir: string; port: number },
  triggers: TriggerEndpoint | undefined,
): Promise<CognitoLocal> {
  const { dataDir, port } = options;
  const endpoint = `http://127.0.0.1:${port}`;
  writeConfig(dataDir, endpoint, triggers);
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
      options.startTimeoutMs ?? 60_000,
    );
  } catch (error) {
    await stop();
    const text = output.join('');
    if (/EADDRINUSE/.test(text)) throw new PortInUseError(`cognito-local could not bind port ${port}`);
    throw error;
  }
  // The trigger endpoint outlives a failed launch (the next port is tried), not a stopped process.
  const stopAll = (): Promise<void> => stop().finally(() => triggers?.close());
  return { endpoint, port, pid, dataDir, exited, stop: stopAll };
}

/** Usernames are not emails (a local user's username is their staxid id); tokens name this endpoint as issuer. */
function writeConfig(dataDir: string, endpoint: string, triggers: TriggerEndpoint | undefined): void {
  const config = {
    UserPoolDefaults: { UsernameAttributes: [] },
    TokenConfig: { IssuerDomain: endpoint },
    ...(triggers && {
      LambdaClient: {
        endpoint: triggers.endpoint,
        region: 'local',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      },
      TriggerFunctions: triggers.functions,
    }),
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
