/**
 * Runs DynamoDB Local (the `DynamoDBLocal.jar` shipped in the npm package
 * `amplify-dynamodb-simulator`) as a child process of this one, for the test harness
 * and for `npm start`. Only the jar is used, never that package's own launcher.
 *
 * This module is loaded by jest's global setup, where the `@/` alias does not apply:
 * it must import nothing through that alias.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';

export interface DynamoDbLocalOptions {
  /**
   * Keep the data in memory only; it is lost when the process stops.
   * @default true, unless `dbPath` is given
   */
  readonly inMemory?: boolean;
  /** Directory of the database file (`-sharedDb -dbPath <dir>`); created when missing. */
  readonly dbPath?: string;
  /**
   * TCP port to listen on.
   * @default a free port chosen by the operating system
   */
  readonly port?: number;
  /**
   * The Java executable.
   * @default 'java', looked up on the PATH of `env`
   */
  readonly javaCommand?: string;
  /**
   * Environment of the Java process (and of the PATH lookup of `javaCommand`).
   * @default process.env
   */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * How long DynamoDB Local may take to answer its first request before the start gives up:
   * Java on a loaded machine takes 10–30 s, and a healthy start is no slower for a long deadline.
   * @default 90000
   */
  readonly startTimeoutMs?: number;
  /**
   * How long `stop()` waits after SIGTERM before it sends SIGKILL.
   * @default 5000
   */
  readonly stopTimeoutMs?: number;
  /**
   * Options for the JVM, before `-jar`.
   * @default DEFAULT_JVM_ARGS: the client compiler and the serial collector, which start
   * DynamoDB Local about a fifth faster and take less memory than the JVM's defaults
   */
  readonly jvmArgs?: readonly string[];
  /**
   * Where notices go (e.g. a stale DynamoDB Local from a crashed run being stopped).
   * @default nowhere
   */
  readonly log?: (message: string) => void;
}

export interface DynamoDbLocal {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly port: number;
  /** PID of the Java process. */
  readonly pid: number;
  /** Settles when the Java process has ended, whether through stop() or not; says how, with its last output. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>;
  /** Stops exactly this Java process (SIGTERM, then SIGKILL) and resolves once it has exited. */
  stop(): Promise<void>;
}

export const DEFAULT_JVM_ARGS: readonly string[] = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC'];

/** The minimum Java version DynamoDB Local is run with. */
export const MIN_JAVA_VERSION = 17;

const JAVA_INSTALL_HINT =
  'Install a Java 17 runtime, e.g. `apt-get install -y openjdk-17-jre-headless` ' +
  '(or run `bash .ci/run`, which installs it), then try again.';

/** Java cannot be run, or is too old, to start DynamoDB Local. */
export class JavaNotFoundError extends Error {
  readonly code = 'JavaNotFound';
  override readonly name = 'JavaNotFoundError';
}

/** DynamoDB Local exited before it answered, or did not answer in time. */
export class DynamoDbLocalStartError extends Error {
  readonly code = 'DynamoDbLocalStartFailed';
  override readonly name = 'DynamoDbLocalStartError';
}

/** The `emulator/` folder of `amplify-dynamodb-simulator`: `DynamoDBLocal.jar` and `DynamoDBLocal_lib/`. */
export function dynamoDbLocalHome(): { jar: string; libraryPath: string } {
  const emulator = join(dirname(require.resolve('amplify-dynamodb-simulator/package.json')), 'emulator');
  const jar = join(emulator, 'DynamoDBLocal.jar');
  const libraryPath = join(emulator, 'DynamoDBLocal_lib');
  if (!existsSync(jar) || !existsSync(libraryPath)) {
    throw new DynamoDbLocalStartError(
      `DynamoDB Local is missing from ${emulator} (expected DynamoDBLocal.jar and DynamoDBLocal_lib/). ` +
        'Reinstall the dependencies with `npm ci`.',
    );
  }
  return { jar, libraryPath };
}

/**
 * Checks that `javaCommand` runs and is Java 17 or later; returns its major version.
 * Cheap (`java -version` answers in well under 100 ms).
 */
export function checkJava(javaCommand = 'java', env: NodeJS.ProcessEnv = process.env): number {
  const result = spawnSync(javaCommand, ['-version'], { env, encoding: 'utf8', timeout: 15_000 });
  if (result.error) {
    const code = (result.error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' ? 'was not found on the PATH' : `could not be run (${result.error.message})`;
    throw new JavaNotFoundError(
      `DynamoDB Local needs Java, but \`${javaCommand}\` ${reason}. ${JAVA_INSTALL_HINT}`,
    );
  }
  const output = `${result.stderr}${result.stdout}`;
  const match = /version "(\d+)(?:\.(\d+))?/.exec(output);
  if (result.status !== 0 || !match) {
    throw new JavaNotFoundError(
      `DynamoDB Local needs Java, but \`${javaCommand} -version\` failed (exit ${result.status}): ` +
        `${output.trim().slice(0, 500)}. ${JAVA_INSTALL_HINT}`,
    );
  }
  // "1.8.0_392" is Java 8; "17.0.15" is Java 17.
  const major = match[1] === '1' ? Number(match[2]) : Number(match[1]);
  if (major < MIN_JAVA_VERSION) {
    throw new JavaNotFoundError(
      `DynamoDB Local is run with Java ${MIN_JAVA_VERSION} or later, but \`${javaCommand}\` is Java ${major}. ${JAVA_INSTALL_HINT}`,
    );
  }
  return major;
}

/** A TCP port that was free on 127.0.0.1 a moment ago (bind port 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close((error) => (error ? reject(error) : resolvePort(port)));
    });
  });
}

/**
 * Starts DynamoDB Local and resolves once it answers ListTables.
 *
 * DynamoDB Local listens on every interface: it has no option to bind to loopback only
 * (see `-help`). The endpoint handed out is always `127.0.0.1`.
 */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const javaCommand = options.javaCommand ?? 'java';
  const env = options.env ?? process.env;
  checkJava(javaCommand, env);
  const home = dynamoDbLocalHome();
  const dbPath = options.dbPath === undefined ? undefined : resolve(options.dbPath);
  const inMemory = options.inMemory ?? dbPath === undefined;
  if (!inMemory && dbPath === undefined) {
    throw new DynamoDbLocalStartError('DynamoDB Local needs a dbPath when inMemory is false.');
  }
  if (dbPath === undefined) return launchOnFreePort({ ...options, javaCommand, env, home, dbPath, inMemory });

  if (dbPathsInUse.has(dbPath)) {
    throw new DynamoDbLocalStartError(`The database in ${dbPath} is already in use by this process.`);
  }
  dbPathsInUse.add(dbPath);
  try {
    mkdirSync(dbPath, { recursive: true });
    await reapStaleProcess(dbPath, options);
    const instance = await launchOnFreePort({ ...options, javaCommand, env, home, dbPath, inMemory });
    writePidFile(dbPath, instance.pid);
    return withPidFileRemoval(instance, dbPath);
  } catch (error) {
    dbPathsInUse.delete(dbPath);
    throw error;
  }
}

async function launchOnFreePort(
  options: Omit<LaunchOptions, 'port'> & { readonly port?: number },
): Promise<DynamoDbLocal> {
  // A port chosen by us may be taken by someone else before Java binds it: then try another.
  const attempts = options.port === undefined ? 3 : 1;
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await freePort());
    try {
      return await launch({ ...options, port });
    } catch (error) {
      if (!(error instanceof PortInUseError) || attempt >= attempts) throw error;
    }
  }
}

class PortInUseError extends DynamoDbLocalStartError {}

interface LaunchOptions extends DynamoDbLocalOptions {
  readonly javaCommand: string;
  readonly env: NodeJS.ProcessEnv;
  readonly home: { jar: string; libraryPath: string };
  readonly dbPath: string | undefined;
  readonly inMemory: boolean;
  readonly port: number;
}

async function launch(options: LaunchOptions): Promise<DynamoDbLocal> {
  const { home, port } = options;
  const args = [
    ...(options.jvmArgs ?? DEFAULT_JVM_ARGS),
    `-Djava.library.path=${home.libraryPath}`,
    '-jar',
    home.jar,
    '-port',
    String(port),
  ];
  // -sharedDb: one database whatever the credentials and region of the caller.
  // -disableTelemetry: DynamoDB Local would otherwise try to report usage over the internet.
  args.push('-sharedDb', '-disableTelemetry');
  if (options.inMemory) args.push('-inMemory');
  else if (options.dbPath !== undefined) args.push('-dbPath', options.dbPath);

  const child = spawn(options.javaCommand, args, {
    env: options.env,
    cwd: options.dbPath ?? tmpdir(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = new OutputTail();
  child.stdout?.on('data', (chunk: Buffer) => output.add(chunk));
  child.stderr?.on('data', (chunk: Buffer) => output.add(chunk));
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>(
    (resolveExit) => {
      const settle = (): void =>
        resolveExit({ code: child.exitCode, signal: child.signalCode, output: output.text() });
      if (child.exitCode !== null || child.signalCode !== null) settle();
      else child.once('exit', settle);
    },
  );
  const exited = ended.then(() => undefined);
  const spawned = new Promise<number>((resolveSpawn, reject) => {
    child.once('spawn', () =>
      child.pid === undefined ? reject(new Error('no pid')) : resolveSpawn(child.pid),
    );
    child.once('error', reject);
  });
  let pid: number;
  try {
    pid = await spawned;
  } catch (error) {
    throw new DynamoDbLocalStartError(
      `DynamoDB Local could not be started with \`${options.javaCommand}\`: ${(error as Error).message}`,
    );
  }

  const untrack = track(child, pid);
  const stopTimeoutMs = options.stopTimeoutMs ?? 5000;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await terminate(child, pid, exited, stopTimeoutMs);
      untrack();
    })();
    return stopping;
  };

  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitUntilReady(endpoint, exited, options.startTimeoutMs ?? 90_000, () => output.text());
  } catch (error) {
    await stop();
    if (/Could not start server on port|Address already in use/i.test(output.text())) {
      throw new PortInUseError(`DynamoDB Local could not bind port ${port}: ${output.text().trim()}`);
    }
    throw error;
  }
  return { endpoint, port, pid, exited: ended, stop };
}

// ---- no Java process outlives this one ------------------------------------------------------
//
// If this process ends without calling stop(): on process.exit() or a crash ('exit'), and on
// SIGINT/SIGTERM/SIGHUP when nobody else handles the signal (the process would simply die,
// and 'exit' is not emitted then), every DynamoDB Local it started is killed by its PID. Where
// someone else handles the signal (local/main.ts), they stop it gracefully instead.

const running = new Map<number, ChildProcess>();
const FATAL_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function killAllNow(): void {
  for (const [pid, child] of running) {
    if (child.exitCode === null && child.signalCode === null) signal(pid, 'SIGKILL');
  }
  running.clear();
  if (ownedRegistry) reapRegistry(ownedRegistry);
}

function onFatalSignal(name: NodeJS.Signals): void {
  if (process.listenerCount(name) > 1) return;
  killAllNow();
  uninstallSafetyNet();
  process.kill(process.pid, name); // with no listener left, the default action ends the process
}

let safetyNetInstalled = false;

function installSafetyNet(): void {
  if (safetyNetInstalled) return;
  safetyNetInstalled = true;
  process.on('exit', killAllNow);
  for (const name of FATAL_SIGNALS) process.on(name, onFatalSignal);
}

/** Removed once nothing is left to protect: no running child and no registry of this process. */
function uninstallSafetyNet(): void {
  if (!safetyNetInstalled || running.size > 0 || ownedRegistry) return;
  safetyNetInstalled = false;
  process.off('exit', killAllNow);
  for (const name of FATAL_SIGNALS) process.off(name, onFatalSignal);
}

function track(child: ChildProcess, pid: number): () => void {
  installSafetyNet();
  running.set(pid, child);
  const registry = process.env[REGISTRY_ENV];
  const entry = registry ? join(registry, `${pid}.json`) : undefined;
  if (entry) {
    try {
      writeFileSync(entry, `${JSON.stringify({ pid, ownerPid: process.pid })}\n`);
    } catch {
      // a registry that is gone (a stale variable) protects nothing: go on without it
    }
  }
  return () => {
    if (entry) rmSync(entry, { force: true });
    running.delete(pid);
    uninstallSafetyNet();
  };
}

// ---- a registry of every DynamoDB Local of a test run --------------------------------------
//
// jest runs test files in workers, and inside a test file `process` is a copy whose 'exit'
// and signal listeners never fire: a test that fails before its stop() would leave Java
// running. So the test harness creates a registry directory (inherited by the workers through
// REGISTRY_ENV), every DynamoDB Local started records its PID there and removes it on stop(),
// and the harness kills whatever is still listed at the end of the run, or when it is killed.

/** A directory in which every DynamoDB Local started by this process or its children records its PID. */
export const REGISTRY_ENV = 'STAXID_DYNAMODB_LOCAL_REGISTRY';

let ownedRegistry: string | undefined;

/** Creates a registry, publishes it in process.env for child processes, and reaps it if this process dies. */
export function createRegistry(): string {
  const dir = mkdtempSync(join(tmpdir(), 'staxid-dynamodb-local-'));
  process.env[REGISTRY_ENV] = dir;
  ownedRegistry = dir;
  installSafetyNet();
  return dir;
}

/**
 * Kills (SIGKILL, by PID) every DynamoDB Local still listed in the registry, after checking
 * on /proc that the PID really is one; removes the registry. Returns the PIDs it killed.
 */
export function reapRegistry(dir: string): number[] {
  const killed: number[] = [];
  let entries: string[] = [];
  try {
    entries = readdirSync(dir).filter((name) => name.endsWith('.json'));
  } catch {
    return killed;
  }
  for (const name of entries) {
    const pid = Number(name.slice(0, -'.json'.length));
    if (Number.isInteger(pid) && pid > 0 && isAlive(pid) && isDynamoDbLocal(pid)) {
      signal(pid, 'SIGKILL');
      killed.push(pid);
    }
  }
  rmSync(dir, { recursive: true, force: true });
  if (ownedRegistry === dir) {
    ownedRegistry = undefined;
    if (process.env[REGISTRY_ENV] === dir) delete process.env[REGISTRY_ENV];
    uninstallSafetyNet();
  }
  return killed;
}

async function waitUntilReady(
  endpoint: string,
  exited: Promise<void>,
  timeoutMs: number,
  output: () => string,
): Promise<void> {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 1000, requestTimeout: 2000 },
  });
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
  });
  const deadline = Date.now() + timeoutMs;
  let lastError = 'no answer yet';
  try {
    while (true) {
      if (hasExited) {
        throw new DynamoDbLocalStartError(
          `DynamoDB Local exited before it answered. Its output:\n${output().trim() || '(none)'}`,
        );
      }
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch (error) {
        lastError = (error as Error).message;
      }
      if (Date.now() >= deadline) {
        throw new DynamoDbLocalStartError(
          `DynamoDB Local did not answer at ${endpoint} within ${timeoutMs} ms (last error: ${lastError}). ` +
            `Its output:\n${output().trim() || '(none)'}`,
        );
      }
      await Promise.race([delay(100), exited]);
    }
  } finally {
    client.destroy();
  }
}

async function terminate(
  child: ChildProcess,
  pid: number,
  exited: Promise<void>,
  timeoutMs: number,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  signal(pid, 'SIGTERM');
  if (await within(exited, timeoutMs)) return;
  signal(pid, 'SIGKILL');
  if (!(await within(exited, timeoutMs))) {
    throw new Error(`DynamoDB Local (pid ${pid}) did not exit after SIGKILL within ${timeoutMs} ms.`);
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

async function within(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolveTimeout) => {
    timer = setTimeout(() => resolveTimeout(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolveDelay) => setTimeout(resolveDelay, ms));
}

/** The last 16 KiB a process wrote, for error messages. */
class OutputTail {
  private buffer = '';
  add(chunk: Buffer): void {
    this.buffer = (this.buffer + chunk.toString('utf8')).slice(-16_384);
  }
  text(): string {
    return this.buffer;
  }
}

// ---- one DynamoDB Local per database directory -------------------------------------------
//
// A persisted database (npm start) records who runs it in `<dbPath>/dynamodb-local.pid`.
// A second service on the same directory is refused; a Java process left behind by a
// run that was killed (SIGKILL gives no chance to clean up) is stopped, by its PID,
// after checking on /proc that it really is DynamoDB Local on this directory.

const PID_FILE = 'dynamodb-local.pid';

/** Database directories this process runs a DynamoDB Local on. */
const dbPathsInUse = new Set<string>();

interface PidFile {
  readonly pid: number;
  readonly ownerPid: number;
}

function writePidFile(dbPath: string, pid: number): void {
  const content: PidFile = { pid, ownerPid: process.pid };
  writeFileSync(join(dbPath, PID_FILE), `${JSON.stringify(content)}\n`);
}

function withPidFileRemoval(instance: DynamoDbLocal, dbPath: string): DynamoDbLocal {
  let stopping: Promise<void> | undefined;
  return {
    ...instance,
    stop: () => {
      stopping ??= instance.stop().then(() => {
        rmSync(join(dbPath, PID_FILE), { force: true });
        dbPathsInUse.delete(dbPath);
      });
      return stopping;
    },
  };
}

async function reapStaleProcess(dbPath: string, options: DynamoDbLocalOptions): Promise<void> {
  const file = join(dbPath, PID_FILE);
  let recorded: PidFile;
  try {
    recorded = JSON.parse(readFileSync(file, 'utf8')) as PidFile;
  } catch {
    return; // no pid file (or an unreadable one): nothing to reap
  }
  if (typeof recorded.pid !== 'number' || typeof recorded.ownerPid !== 'number') {
    rmSync(file, { force: true });
    return;
  }
  if (recorded.ownerPid !== process.pid && isAlive(recorded.ownerPid)) {
    throw new DynamoDbLocalStartError(
      `The database in ${dbPath} is in use by process ${recorded.ownerPid}. Stop that process ` +
        `(or use another directory); if it is not staxid, delete ${file}.`,
    );
  }
  if (isAlive(recorded.pid) && isDynamoDbLocal(recorded.pid, dbPath)) {
    options.log?.(
      `Stopping DynamoDB Local (pid ${recorded.pid}) left behind by an earlier run on ${dbPath}.`,
    );
    signal(recorded.pid, 'SIGTERM');
    const deadline = Date.now() + (options.stopTimeoutMs ?? 5000);
    while (isAlive(recorded.pid) && Date.now() < deadline) await delay(50);
    if (isAlive(recorded.pid)) signal(recorded.pid, 'SIGKILL');
  }
  rmSync(file, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * True if `pid` runs DynamoDBLocal.jar (on `dbPath`, if given). Only where /proc shows the
 * command line (Linux); elsewhere this says false and a stale process is left alone.
 */
function isDynamoDbLocal(pid: number, dbPath?: string): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return (
      argv.some((arg) => arg.endsWith('DynamoDBLocal.jar')) && (dbPath === undefined || argv.includes(dbPath))
    );
  } catch {
    return false;
  }
}
