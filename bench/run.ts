/**
 * `npm run bench`: starts the local service (DynamoDB Local, cognito-local, the local API Gateway)
 * in a temporary home, puts a counting proxy between the handlers and DynamoDB Local, seeds 1,000
 * users, and measures per operation its latency, its DynamoDB calls per request and the p50 of a
 * bare GetItem measured alongside it; then bundles every Lambda as the Identity stack does and
 * measures sizes and cold import times. It reports the targets of issue 3 (item 9) as PASS/MISS
 * and never fails on them. The SCIM list over 10,000 SCIM users (issue 5, bench/scim-list.ts) is
 * the exception: an indexed `eq` lookup that costs a Scan or more than one read fails the run.
 * docs/benchmarks.md explains the method and how to read the numbers.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type {
  APIGatewayAuthorizerResult,
  APIGatewayProxyEvent,
  APIGatewayProxyResult,
  APIGatewayTokenAuthorizerEvent,
  Context,
} from 'aws-lambda';
import { BASELINE_ENTRY, type BundleResult, measureBundles } from '@/bench/bundles';
import { type CountingProxy, type Phase, startCountingProxy } from '@/bench/counting-proxy';
import { simulatePermissionSetDeployments } from '@/bench/permission-set-simulation';
import {
  indexedLookupViolation,
  SCIM_BENCH_USERS,
  type ScimListOutcome,
  scimBenchSeed,
  scimFilterCases,
  startScimListBench,
} from '@/bench/scim-list';
import {
  bareJwtVerification,
  bareRsaSignature,
  type SignInOrganization,
  signInOrganization,
} from '@/bench/sign-in';
import { elapsedMs, type LatencyStats, latencyStats } from '@/bench/stats';
import { handlerFiles, ROUTES } from '@/lambdas/routes';
import { CALLER_CONTEXT } from '@/lambdas/shared/caller-context';
import { newId } from '@/lambdas/shared/ids';
import { AUTH_ORIGIN, emailGuardKey, type UserRecord, userItem } from '@/lambdas/users/user-model';
import { type Authorizer, REPO_ROOT } from '@/local/api-gateway-adapter';
import { type LocalService, startLocalService } from '@/local/service';

const ITERATIONS = positiveInt(process.env.BENCH_ITERATIONS, 200);
const WARMUP = positiveInt(process.env.BENCH_WARMUP, 20);
const USERS = 1000;
/** `BENCH_ONLY=scim-list`: only the bare baseline and the SCIM list rows (no other rows, bundles or simulation). */
const SCIM_LIST_ONLY = process.env.BENCH_ONLY === 'scim-list';
/** SCIM lists that no index answers read every user: fewer requests of them. */
const SCAN_ITERATIONS = positiveInt(process.env.BENCH_SCAN_ITERATIONS, 10);
const SCAN_WARMUP = 2;
/** The deployment simulation: accounts × assignments, and the worker concurrency (the event source's maxConcurrency). */
const SIMULATED_ACCOUNTS = 1000;
const SIMULATED_ASSIGNMENTS = 3;
const SIMULATED_CONCURRENCY = 10;
const IMPORT_RUNS = 5;
/** The operations measured, plus one: the bare GetItem runs before each and after the last. */
const BARE_BLOCKS = 10;
const CONCURRENCY = 2;
const TARGET_FETCH_RATIO = 3;
const TARGET_BUNDLE_RATIO = 1.5;
/** Sign-in p50 ≤ this × (bare RSA signature + bare JWT verification) + the DynamoDB round trips below. */
const TARGET_SIGN_IN_CPU_RATIO = 3;
const TARGET_SIGN_IN_ROUND_TRIPS = 2;
/** The entitlements' reads: at most two DynamoDB round trips, whatever the organization. */
const TARGET_MY_ROLES_ROUND_TRIPS = 2;
const SIGN_IN_OPERATION = 'SignIn (console)';
const RSA_OPERATION = 'bare RSA-2048 signature';
const JWT_OPERATION = 'bare JWT verification (ES256)';
const AUTHORIZER_ENTRY = 'lambdas/auth/authorizer.ts';
const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

function positiveInt(value: string | undefined, fallback: number): number {
  const parsed = Number(value);
  return Number.isInteger(parsed) && parsed > 0 ? parsed : fallback;
}

const progress = (message: string): void => {
  process.stderr.write(`[bench] ${message}\n`);
};

// ---- clean-up: everything this run started, stopped by handle or PID, on any exit path ----------

const work = mkdtempSync(join(tmpdir(), 'staxid-bench-'));
const children = new Set<ChildProcess>();
let service: LocalService | undefined;
let proxy: CountingProxy | undefined;
let cleaning: Promise<void> | undefined;

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const child of children) {
      if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
    }
    await service?.stop().catch((error: unknown) => progress(`stopping the service: ${String(error)}`));
    await proxy?.close().catch(() => undefined);
    rmSync(work, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  })();
  return cleaning;
}

// `npm run bench` is npm → tsx → node: a Ctrl-C reaches this process both from the terminal and
// relayed by tsx, so every signal after the first is ignored (the default would kill mid clean-up).
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    progress(`${signal}: stopping what the bench started ...`);
    void cleanup().finally(() => process.exit(130));
  });
}

// ---- the measured operations ---------------------------------------------------------------------

interface CallCounts {
  /** DynamoDB requests per measured request, all phases. */
  readonly perRequest: number;
  /** Sequential DynamoDB round trips per measured request (requests sent together count once), all phases. */
  readonly roundTripsPerRequest: number;
  /** `phase operation` → requests per measured request. */
  readonly breakdown: Readonly<Record<string, number>>;
  /** `phase operation` → mean time of one such request through the proxy, ms. */
  readonly meanMs: Readonly<Record<string, number>>;
}

interface OperationResult extends LatencyStats {
  readonly operation: string;
  readonly how: string;
  /** p50 ÷ the p50 of the bare GetItem (all its blocks pooled). */
  readonly ratioToBareP50: number;
  readonly dynamodb: CallCounts;
}

type ProxyHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
type TokenAuthorizer = (event: APIGatewayTokenAuthorizerEvent) => Promise<APIGatewayAuthorizerResult>;

function requireProxy(): CountingProxy {
  if (!proxy) throw new Error('the counting proxy is not running');
  return proxy;
}

function countsSnapshot(counting: CountingProxy, n: number): CallCounts {
  const breakdown: Record<string, number> = {};
  const meanMs: Record<string, number> = {};
  let total = 0;
  for (const [phase, byOperation] of counting.counts()) {
    if (phase === 'baseline') continue;
    for (const [operation, count] of byOperation) {
      breakdown[`${phase} ${operation}`] = count.requests / n;
      meanMs[`${phase} ${operation}`] = count.upstreamMs / count.answered;
      total += count.requests;
    }
  }
  let roundTrips = 0;
  for (const [phase, count] of counting.roundTrips()) if (phase !== 'baseline') roundTrips += count;
  return { perRequest: total / n, roundTripsPerRequest: roundTrips / n, breakdown, meanMs };
}

/** Runs `run` WARMUP times, then ITERATIONS times timed (or as `requests` says), one request at a time. */
async function measure(
  operation: string,
  how: string,
  phase: Phase,
  run: (index: number) => Promise<void>,
  requests: { readonly warmup: number; readonly iterations: number } = {
    warmup: WARMUP,
    iterations: ITERATIONS,
  },
): Promise<OperationResult> {
  const counting = requireProxy();
  const samples: number[] = [];
  const once = async (index: number, record: boolean): Promise<void> => {
    counting.setPhase(phase);
    const start = process.hrtime.bigint();
    await run(index);
    if (record) samples.push(elapsedMs(start));
  };
  await bare.block();
  for (let index = 0; index < requests.warmup; index++) await once(index, false);
  counting.reset();
  for (let index = 0; index < requests.iterations; index++) await once(requests.warmup + index, true);
  const dynamodb = countsSnapshot(counting, requests.iterations);
  counting.setPhase('setup');
  const stats = latencyStats(samples);
  progress(`${operation}: p50 ${stats.p50.toFixed(2)} ms, p99 ${stats.p99.toFixed(2)} ms`);
  return { operation, how, ...stats, ratioToBareP50: Number.NaN, dynamodb };
}

/**
 * The bare baseline: a raw GetItemCommand (no document client, no handler) of one user item, through
 * the same proxy to the same DynamoDB Local. Measured in blocks, one before each operation and one
 * after the last, so that it samples the same minutes of the run as the operations; pooled at the end.
 */
class BareGetItem {
  readonly samples: number[] = [];
  readonly blockP50s: number[] = [];
  /** The timed calls' time through the proxy, ms, summed (compare with the operations' breakdown). */
  private upstreamMs = 0;
  private client: DynamoDBClient | undefined;
  private key: Record<string, { S: string }> = {};
  private tableName = '';

  configure(endpoint: string, region: string, tableName: string, userId: string): void {
    this.client = new DynamoDBClient({ endpoint, region, credentials: CREDENTIALS });
    this.key = { PK: { S: `USER#${userId}` }, SK: { S: 'USER' } };
    this.tableName = tableName;
  }

  private async once(): Promise<number> {
    if (!this.client) throw new Error('the bare GetItem is not configured');
    const start = process.hrtime.bigint();
    const result = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: this.key }));
    const took = elapsedMs(start);
    if (!result.Item) throw new Error('bare GetItem found no item');
    return took;
  }

  /** A few warm-up calls, then ceil(ITERATIONS / BARE_BLOCKS) timed ones. */
  async block(): Promise<void> {
    const counting = requireProxy();
    counting.setPhase('baseline');
    for (let index = 0; index < 5; index++) await this.once();
    const upstreamBefore = this.proxyMs(counting);
    const block: number[] = [];
    for (let index = 0; index < Math.ceil(ITERATIONS / BARE_BLOCKS); index++) block.push(await this.once());
    this.upstreamMs += this.proxyMs(counting) - upstreamBefore;
    counting.setPhase('setup');
    this.samples.push(...block);
    this.blockP50s.push(latencyStats(block).p50);
  }

  private proxyMs(counting: CountingProxy): number {
    return counting.counts().get('baseline')?.get('GetItem')?.upstreamMs ?? 0;
  }

  result(): OperationResult {
    return {
      operation: 'bare GetItem (baseline)',
      how: `raw GetItemCommand, ${this.blockP50s.length} blocks`,
      ...latencyStats(this.samples),
      ratioToBareP50: 1,
      dynamodb: {
        perRequest: 1,
        roundTripsPerRequest: 1,
        breakdown: { 'baseline GetItem': 1 },
        meanMs: { 'baseline GetItem': this.upstreamMs / this.samples.length },
      },
    };
  }

  close(): void {
    this.client?.destroy();
  }
}

const bare = new BareGetItem();

function headerValue(event: APIGatewayProxyEvent, name: string): string | undefined {
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === name && value !== undefined) return value;
  }
  return undefined;
}

let authorizerHandler: Promise<TokenAuthorizer> | undefined;

/** The Lambda authorizer itself (lambdas/auth/authorizer.ts), loaded once the handler environment is set. */
function lambdaAuthorizer(): Promise<TokenAuthorizer> {
  authorizerHandler ??= import('@/lambdas/auth/authorizer').then((module) => module.handler);
  return authorizerHandler;
}

function tokenAuthorizerEvent(
  authorization: string,
  method: string,
  path: string,
): APIGatewayTokenAuthorizerEvent {
  return {
    type: 'TOKEN',
    authorizationToken: authorization,
    methodArn: `arn:aws:execute-api:us-east-1:000000000000:local/local/${method}${path}`,
  };
}

/**
 * The local API Gateway's authorizer hook, backed by the Lambda authorizer's handler (rather than
 * the service's default hook, whose DynamoDB client is built with an explicit endpoint and would
 * bypass the counting proxy). Its DynamoDB calls are counted under the `authorizer` phase.
 */
const benchAuthorizer: Authorizer = async (event, route) => {
  const phaseAfter: Phase = 'handler';
  proxy?.setPhase('authorizer');
  try {
    const authorize = await lambdaAuthorizer();
    const result = await authorize(
      tokenAuthorizerEvent(headerValue(event, 'authorization') ?? '', route.method, event.path),
    );
    const statement = result.policyDocument.Statement[0];
    if (statement?.Effect !== 'Allow') return { effect: 'deny' };
    const context: Record<string, string | number | boolean> = {};
    for (const [key, value] of Object.entries(result.context ?? {})) {
      if (value !== null && value !== undefined) context[key] = value;
    }
    return { effect: 'allow', principalId: result.principalId, context };
  } catch {
    return { effect: 'unauthorized' };
  } finally {
    proxy?.setPhase(phaseAfter);
  }
};

async function http(
  method: string,
  path: string,
  init: { headers?: Record<string, string>; body?: string } = {},
): Promise<unknown> {
  if (!service) throw new Error('the service is not running');
  const response = await fetch(`${service.url}${path}`, {
    method,
    headers: init.headers ?? {},
    ...(init.body !== undefined && { body: init.body }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 300)}`);
  return text === '' ? undefined : JSON.parse(text);
}

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}

function stringField(value: unknown, name: string): string {
  const found = field(value, name);
  if (typeof found !== 'string') throw new Error(`expected a string ${name} in ${JSON.stringify(value)}`);
  return found;
}

/** A user the authorizer resolved: the in-process rows hand it to the handler as its context. */
interface UserCaller {
  readonly id: string;
  readonly role: string;
}

/**
 * An API Gateway event as the REST API sends it after the Lambda authorizer resolved a person
 * (`callerKind: user`): what the in-process rows hand to a handler, since the seeded users have no
 * Cognito account to get a token from and an API token is not a person.
 */
function userEvent(caller: UserCaller, method: string, path: string, body?: unknown): APIGatewayProxyEvent {
  return {
    httpMethod: method,
    path,
    resource: path,
    body: body === undefined ? null : JSON.stringify(body),
    isBase64Encoded: false,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    multiValueHeaders: {},
    pathParameters: null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: {
        principalId: caller.id,
        [CALLER_CONTEXT.kind]: 'user',
        [CALLER_CONTEXT.id]: caller.id,
        [CALLER_CONTEXT.role]: caller.role,
      },
      protocol: 'HTTP/1.1',
      httpMethod: method,
      identity: {
        sourceIp: '127.0.0.1',
        userAgent: 'staxid-bench',
      } as APIGatewayProxyEvent['requestContext']['identity'],
      path,
      stage: 'local',
      requestId: newId(),
      requestTimeEpoch: Date.now(),
      resourceId: 'local',
      resourcePath: path,
    },
  };
}

const LAMBDA_CONTEXT = {
  awsRequestId: 'bench',
  functionName: 'bench',
  callbackWaitsForEmptyEventLoop: false,
} as Context;

/** Runs an in-process handler and fails the bench on any answer but 200. */
async function expectOk(
  name: string,
  handler: ProxyHandler,
  event: APIGatewayProxyEvent,
): Promise<APIGatewayProxyResult> {
  const result = await handler(event, LAMBDA_CONTEXT);
  if (result.statusCode !== 200) throw new Error(`${name}: ${result.statusCode} ${result.body}`);
  return result;
}

/**
 * The AWS sign-in rows (issue 4): what a person holds (ReadMyRoles), a console sign-in (the SAML
 * Response signed with the local RSA-2048 key file, its audit event written to a file by the
 * direct sink before the answer), and the two bare costs the sign-in target is made of. Both
 * handlers run in-process with a user caller context: API tokens are refused by both.
 */
async function measureSignIn(
  caller: UserCaller,
  organization: SignInOrganization,
): Promise<OperationResult[]> {
  const readMyRoles: ProxyHandler = (await import('@/lambdas/aws/read-my-roles')).handler;
  const signIn: ProxyHandler = (await import('@/lambdas/signin/sign-in')).handler;
  const body = { AccountId: organization.awsAccountId, RoleName: organization.roleName, Mode: 'console' };
  const rsaSign = bareRsaSignature();
  const jwtVerify = await bareJwtVerification();
  return [
    await measure('ReadMyRoles', 'in-process handler, user caller context', 'handler', async () => {
      const result = await expectOk(
        'ReadMyRoles',
        readMyRoles,
        userEvent(caller, 'GET', '/20190206/users/me/aws-roles'),
      );
      const roles = field(JSON.parse(result.body), 'Roles');
      if (!Array.isArray(roles) || roles.length !== organization.heldRoles) {
        throw new Error(
          `ReadMyRoles listed ${Array.isArray(roles) ? roles.length : 'no'} roles, expected ${organization.heldRoles}`,
        );
      }
    }),
    await measure(
      SIGN_IN_OPERATION,
      'in-process handler, user caller context, Mode console',
      'handler',
      async () => {
        const result = await expectOk(
          'SignIn',
          signIn,
          userEvent(caller, 'POST', '/20190206/aws/sign-in', body),
        );
        if (!result.body.includes('name="SAMLResponse"'))
          throw new Error('SignIn answered no SAMLResponse form');
      },
    ),
    await measure(RSA_OPERATION, 'node:crypto sign(sha256), 600 bytes', 'handler', async () => {
      rsaSign();
    }),
    await measure(JWT_OPERATION, 'jose jwtVerify, local public key', 'handler', jwtVerify),
  ];
}

/** The SCIM list rows and the target they check. */
interface ScimListRows {
  readonly results: OperationResult[];
  readonly target: Target;
}

/** `phase`'s DynamoDB calls per request, by operation. */
function callsIn(counts: CallCounts, phase: Phase): Record<string, number> {
  const prefix = `${phase} `;
  return Object.fromEntries(
    Object.entries(counts.breakdown)
      .filter(([name]) => name.startsWith(prefix))
      .map(([name, value]) => [name.slice(prefix.length), value]),
  );
}

/**
 * Issue 5's rows: SCIM_BENCH_USERS SCIM users written with the items the SCIM create path writes,
 * then `GET /scim/v2/Users?filter=…` through the real SCIM handler, in-process with a real SCIM
 * token, one row per filter of scimFilterCases. The token check is counted as phase `authorizer`.
 * Throws — the bench fails — when an indexed `eq` lookup makes a Scan or more than one read.
 */
async function measureScimList(
  directEndpoint: string,
  region: string,
  tableName: string,
): Promise<ScimListRows> {
  const counting = requireProxy();
  progress(`seeding ${SCIM_BENCH_USERS} SCIM users directly in the table ...`);
  const seed = scimBenchSeed(SCIM_BENCH_USERS, 'bench', new Date().toISOString());
  await writeItems(directEndpoint, tableName, region, seed.items);
  const scim = await startScimListBench({
    endpoint: counting.endpoint,
    region,
    tableName,
    onPhase: (phase) => counting.setPhase(phase),
  });
  const results: OperationResult[] = [];
  const lookups: string[] = [];
  try {
    for (const filterCase of scimFilterCases(seed.users)) {
      let outcome: ScimListOutcome | undefined;
      const result = await measure(
        `SCIM list ${filterCase.filter}`,
        '',
        'handler',
        async () => {
          outcome = await scim.list(filterCase);
        },
        filterCase.indexed ? undefined : { warmup: SCAN_WARMUP, iterations: SCAN_ITERATIONS },
      );
      if (!outcome) throw new Error(`SCIM list ${filterCase.filter}: no request was made`);
      const how = `in-process SCIM handler; totalResults ${outcome.totalResults}, ${outcome.itemsPerPage} returned, ${outcome.itemsRead} item${outcome.itemsRead === 1 ? '' : 's'} read`;
      results.push({ ...result, how });
      if (!filterCase.indexed) continue;
      const listCalls = callsIn(result.dynamodb, 'handler');
      const violation = indexedLookupViolation(listCalls);
      if (violation)
        throw new Error(`SCIM list ${filterCase.filter} over ${SCIM_BENCH_USERS} users: ${violation}`);
      const readText = Object.entries(listCalls).map(([operation, value]) => `${operation} ${count(value)}`);
      lookups.push(`${filterCase.filter.replace(/"[^"]*"/g, '"…"')}: ${readText.join(', ')}`);
    }
  } finally {
    scim.close();
  }
  return {
    results,
    target: {
      target: `SCIM list over ${SCIM_BENCH_USERS} users: userName/externalId/id eq = one DynamoDB read, no Scan (issue 5)`,
      measured: `${lookups.join('; ')} (each after the SCIM token's GetItem); the bench fails otherwise`,
      pass: true,
    },
  };
}

// ---- seeding -------------------------------------------------------------------------------------

/** Batches sent at once while seeding: DynamoDB Local takes them faster side by side. */
const SEED_WRITERS = 8;

/**
 * Writes items straight into the table, 25 at a time, SEED_WRITERS batches at once, retrying what
 * DynamoDB left unprocessed.
 */
async function writeItems(
  endpoint: string,
  tableName: string,
  region: string,
  items: readonly Record<string, unknown>[],
): Promise<void> {
  const client = new DynamoDBClient({ endpoint, region, credentials: CREDENTIALS });
  const doc = DynamoDBDocumentClient.from(client);
  let next = 0;
  const writer = async (): Promise<void> => {
    for (let offset = next; offset < items.length; offset = next) {
      next += 25;
      let requests = items.slice(offset, offset + 25).map((Item) => ({ PutRequest: { Item } }));
      while (requests.length > 0) {
        const result = await doc.send(new BatchWriteCommand({ RequestItems: { [tableName]: requests } }));
        const unprocessed = result.UnprocessedItems?.[tableName] ?? [];
        requests = unprocessed.flatMap((request) =>
          request.PutRequest?.Item ? [{ PutRequest: { Item: request.PutRequest.Item } }] : [],
        );
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: SEED_WRITERS }, writer));
  } finally {
    client.destroy();
  }
}

/** Writes `count` ACTIVE local users straight into the table, with their email guards (no Cognito). */
async function seedUsers(
  endpoint: string,
  tableName: string,
  region: string,
  count: number,
): Promise<string[]> {
  const now = new Date().toISOString();
  const items: Record<string, unknown>[] = [];
  const ids: string[] = [];
  for (let index = 0; index < count; index++) {
    const id = newId();
    const email = `bench-user-${String(index).padStart(4, '0')}@example.com`;
    const user: UserRecord = {
      Id: id,
      Email: email,
      FirstName: 'Bench',
      LastName: `User ${index}`,
      Role: index === 0 ? 'customer_admin' : 'customer_user',
      Status: 'ACTIVE',
      AuthOrigin: AUTH_ORIGIN.local,
      CognitoUsername: id,
      CreatedBy: 'bench',
      CreatedTS: now,
      ModifiedTS: now,
      Version: 1,
    };
    ids.push(id);
    items.push(userItem(user), { ...emailGuardKey(email), UserId: id });
  }
  await writeItems(endpoint, tableName, region, items);
  return ids;
}

// ---- the report ----------------------------------------------------------------------------------

interface Target {
  readonly target: string;
  readonly measured: string;
  readonly pass: boolean;
}

function table(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  right: readonly number[],
): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => {
        const width = widths[column] ?? 0;
        return right.includes(column) ? cell.padStart(width) : cell.padEnd(width);
      })
      .join(' | ')
      .trimEnd();
  return [line(headers), widths.map((width) => '-'.repeat(width)).join('-|-'), ...rows.map(line)].join('\n');
}

const ms = (value: number): string => (Number.isFinite(value) ? value.toFixed(2) : 'n/a');
const ratio = (value: number): string => (Number.isFinite(value) ? `${value.toFixed(2)}x` : 'n/a');

const count = (value: number): string => (Number.isInteger(value) ? String(value) : value.toFixed(2));
const roundTrips = (value: number): string => `${count(value)} round trip${value === 1 ? '' : 's'}`;

/** `phase operation requests/req (mean ms of one)`, per operation seen. */
function breakdownText(counts: CallCounts): string {
  const parts = Object.entries(counts.breakdown).map(
    ([name, value]) => `${name} ${count(value)} (${ms(counts.meanMs[name] ?? Number.NaN)} ms)`,
  );
  return parts.length ? parts.join(', ') : 'none';
}

function calls(counts: CallCounts): string {
  return `${count(counts.perRequest)} (${breakdownText(counts)})`;
}

/**
 * Issue 4's targets: ReadMyRoles in at most two DynamoDB calls, and the console sign-in's p50
 * within 3 × (one bare RSA-2048 signature + one bare JWT verification) + 2 bare GetItem p50s,
 * every term measured in this run.
 */
function signInTargets(results: readonly OperationResult[], bareResult: OperationResult): Target[] {
  const find = (operation: string) => results.find((result) => result.operation === operation);
  const myRoles = find('ReadMyRoles');
  const signIn = find(SIGN_IN_OPERATION);
  const rsa = find(RSA_OPERATION);
  const jwt = find(JWT_OPERATION);
  const budget =
    rsa && jwt
      ? TARGET_SIGN_IN_CPU_RATIO * (rsa.p50 + jwt.p50) + TARGET_SIGN_IN_ROUND_TRIPS * bareResult.p50
      : Number.NaN;
  return [
    {
      target: `ReadMyRoles <= ${TARGET_MY_ROLES_ROUND_TRIPS} DynamoDB round trips per request`,
      measured: myRoles
        ? `${roundTrips(myRoles.dynamodb.roundTripsPerRequest)}, ${calls(myRoles.dynamodb)}`
        : 'n/a',
      pass: myRoles !== undefined && myRoles.dynamodb.roundTripsPerRequest <= TARGET_MY_ROLES_ROUND_TRIPS,
    },
    {
      target: `SignIn p50 <= ${TARGET_SIGN_IN_CPU_RATIO}x (RSA sign + JWT verify) + ${TARGET_SIGN_IN_ROUND_TRIPS}x bare GetItem p50`,
      measured:
        signIn && rsa && jwt
          ? `${ms(signIn.p50)} ms vs ${ms(budget)} ms = ${TARGET_SIGN_IN_CPU_RATIO} x (${ms(rsa.p50)} + ${ms(jwt.p50)}) + ${TARGET_SIGN_IN_ROUND_TRIPS} x ${ms(bareResult.p50)}; DynamoDB per sign-in: ${roundTrips(signIn.dynamodb.roundTripsPerRequest)}, ${calls(signIn.dynamodb)}`
          : 'n/a',
      pass: signIn !== undefined && signIn.p50 <= budget,
    },
  ];
}

function operationsTable(results: readonly OperationResult[]): string {
  return table(
    [
      'operation',
      'how',
      'n',
      'p50 ms',
      'p99 ms',
      'p50 / bare GetItem p50',
      'DynamoDB round trips/req',
      'DynamoDB calls/req (breakdown: calls, mean ms of one)',
    ],
    results.map((result) => [
      result.operation,
      result.how,
      String(result.n),
      ms(result.p50),
      ms(result.p99),
      ratio(result.ratioToBareP50),
      count(result.dynamodb.roundTripsPerRequest),
      calls(result.dynamodb),
    ]),
    [2, 3, 4, 5, 6],
  );
}

function bundlesTable(bundles: readonly BundleResult[], baseline: BundleResult): string {
  return table(
    ['bundle', 'bytes', 'size / baseline', 'cold import ms (median of 5)', 'import / baseline'],
    bundles.map((bundle) => [
      bundle.entry === BASELINE_ENTRY ? `${bundle.entry} (baseline)` : bundle.entry,
      String(bundle.bytes),
      ratio(bundle.bytes / baseline.bytes),
      bundle.error ? `error: ${bundle.error}` : ms(bundle.coldImportMs),
      ratio(bundle.coldImportMs / baseline.coldImportMs),
    ]),
    [1, 2, 3, 4],
  );
}

/**
 * The identity API rows (issue 3) and the AWS sign-in rows (issue 4), over the 1,000 seeded users:
 * through the local API Gateway with the bootstrap token's JWT, or in-process with a user caller context.
 */
async function measureIdentityOperations(
  home: string,
  seeded: { readonly firstUser: string; readonly secondUser: string },
  signInUser: UserCaller,
  organization: SignInOrganization,
): Promise<OperationResult[]> {
  const { firstUser, secondUser } = seeded;
  const bootstrap: unknown = JSON.parse(readFileSync(join(home, 'bootstrap-token.json'), 'utf8'));
  const basic = Buffer.from(
    `${stringField(bootstrap, 'AccessKey')}:${stringField(bootstrap, 'SecretKey')}`,
  ).toString('base64');
  const exchange = async (): Promise<string> =>
    stringField(
      await http('POST', '/oauth2/token', {
        headers: { Authorization: `Basic ${basic}`, 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      }),
      'access_token',
    );
  const accessToken = await exchange();
  const bearer = { Authorization: `Bearer ${accessToken}` };

  const groupId = stringField(
    await http('POST', '/20190206/groups', {
      headers: { ...bearer, 'Content-Type': 'application/json' },
      body: JSON.stringify({ Name: `bench-group-${newId().slice(0, 8)}` }),
    }),
    'GroupId',
  );
  const listed = field(await http('GET', '/20190206/users', { headers: bearer }), 'Users');
  if (!Array.isArray(listed) || listed.length < USERS) {
    throw new Error(
      `ReadUsers returned ${Array.isArray(listed) ? listed.length : 'no'} users, expected ${USERS}`,
    );
  }

  const results: OperationResult[] = [];
  results.push(
    await measure('Token exchange', 'HTTP POST /oauth2/token', 'handler', async () => {
      await exchange();
    }),
  );
  results.push(
    await measure(
      'Authorizer (API token JWT)',
      'in-process lambdas/auth/authorizer.ts',
      'authorizer',
      async () => {
        const authorize = await lambdaAuthorizer();
        const result = await authorize(
          tokenAuthorizerEvent(`Bearer ${accessToken}`, 'GET', '/20190206/users/me'),
        );
        if (result.policyDocument.Statement[0]?.Effect !== 'Allow') throw new Error('authorizer denied');
      },
    ),
  );

  const fetchCurrentUser: ProxyHandler = (await import('@/lambdas/users/fetch-current-user')).handler;
  results.push(
    await measure('FetchCurrentUser', 'in-process handler, user caller context', 'handler', async () => {
      await expectOk(
        'FetchCurrentUser',
        fetchCurrentUser,
        userEvent({ id: firstUser, role: 'customer_admin' }, 'GET', '/20190206/users/me'),
      );
    }),
  );
  results.push(
    await measure(
      `ReadUsers (${USERS} users)`,
      'HTTP GET /20190206/users, API token JWT',
      'handler',
      async () => {
        await http('GET', '/20190206/users', { headers: bearer });
      },
    ),
  );
  results.push(
    await measure(
      'UpdateGroupMembers',
      'HTTP PUT /20190206/groups/members, add/remove alternately',
      'handler',
      async (index) => {
        const members = [{ UserId: secondUser, GroupId: groupId }];
        await http('PUT', '/20190206/groups/members', {
          headers: { ...bearer, 'Content-Type': 'application/json' },
          body: JSON.stringify(index % 2 === 0 ? { AddMembers: members } : { RemoveMembers: members }),
        });
      },
    ),
  );
  results.push(...(await measureSignIn(signInUser, organization)));
  return results;
}

/** What the SCIM list rows are, for the report's header. */
function scimHeader(): string {
  return `SCIM list rows: ${SCIM_BENCH_USERS} SCIM users (+ the ${USERS} local users), the in-process SCIM handler with a SCIM token (its GetItem is the "authorizer" phase); filters no index answers: ${SCAN_ITERATIONS} timed requests after ${SCAN_WARMUP}`;
}

/** `BENCH_ONLY=scim-list`: prints the baseline and SCIM rows and writes them to bench/results/scim-list.json. */
function reportScimListOnly(
  results: readonly OperationResult[],
  target: Target,
  bareRange: string,
  totalSeconds: number,
): void {
  const report = [
    `staxid bench (BENCH_ONLY=scim-list) — ${new Date().toISOString()} — node ${process.version}, ${ITERATIONS} timed requests per operation after ${WARMUP} warm-up, sequential`,
    `bare GetItem block p50s: ${bareRange}`,
    scimHeader(),
    '',
    operationsTable(results),
    '',
    table(
      ['target', 'measured', 'result'],
      [[target.target, target.measured, target.pass ? 'PASS' : 'MISS']],
      [],
    ),
    '',
    `total ${totalSeconds.toFixed(1)} s`,
  ].join('\n');
  process.stdout.write(`${report}\n`);
  const resultsDir = join(REPO_ROOT, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const resultsFile = join(resultsDir, 'scim-list.json');
  writeFileSync(
    resultsFile,
    `${JSON.stringify({ date: new Date().toISOString(), node: process.version, operations: results, target, totalSeconds }, null, 2)}\n`,
  );
  process.stdout.write(`results: ${resultsFile}\n`);
}

// ---- main ----------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = process.hrtime.bigint();
  const home = join(work, 'home');
  progress(`temporary home ${work}; ${ITERATIONS} timed requests per operation after ${WARMUP} warm-up`);

  progress('starting DynamoDB Local, cognito-local and the local API ...');
  service = await startLocalService({
    home,
    port: 0,
    logger: {
      info: () => undefined,
      error: (message, error) => progress(`${message} ${String(error ?? '')}`),
    },
    authorize: benchAuthorizer,
  });
  const { endpoints } = service;
  // The handlers are loaded on their first request and build their DynamoDB client from this variable
  // (lambdas/shared/db.ts dbFromEnv): from here on, they reach DynamoDB Local through the proxy.
  proxy = await startCountingProxy(service.dynamodb.endpoint);
  process.env.AWS_ENDPOINT_URL_DYNAMODB = proxy.endpoint;

  progress(`seeding ${USERS} users directly in the table ...`);
  const userIds = await seedUsers(service.dynamodb.endpoint, endpoints.tableName, endpoints.region, USERS);
  const [firstUser, secondUser, thirdUser] = userIds;
  if (!firstUser || !secondUser || !thirdUser) throw new Error('no users seeded');
  const signInUser: UserCaller = { id: thirdUser, role: 'customer_user' };
  const organization = signInOrganization(signInUser.id, new Date().toISOString());
  progress(
    `seeding an organization: ${organization.heldRoles} (account, role) pairs held through groups → account types ...`,
  );
  await writeItems(service.dynamodb.endpoint, endpoints.tableName, endpoints.region, organization.items);

  bare.configure(proxy.endpoint, endpoints.region, endpoints.tableName, secondUser);

  const results: OperationResult[] = SCIM_LIST_ONLY
    ? []
    : await measureIdentityOperations(home, { firstUser, secondUser }, signInUser, organization);
  const scimList = await measureScimList(service.dynamodb.endpoint, endpoints.region, endpoints.tableName);
  results.push(...scimList.results);
  await bare.block();
  bare.close();
  const bareResult = bare.result();
  const measured = results.map((result) => ({ ...result, ratioToBareP50: result.p50 / bareResult.p50 }));
  results.splice(0, results.length, bareResult, ...measured);
  const bareRange = `${ms(Math.min(...bare.blockP50s))}–${ms(Math.max(...bare.blockP50s))} ms`;
  if (SCIM_LIST_ONLY) {
    reportScimListOnly(results, scimList.target, bareRange, elapsedMs(started) / 1000);
    return;
  }

  progress('stopping the service (the bundles are measured on an idle machine) ...');
  await service.stop();
  service = undefined;
  await proxy.close();
  proxy = undefined;

  const entries = [...handlerFiles(ROUTES), AUTHORIZER_ENTRY];
  progress(`bundling ${entries.length} functions and the baseline; ${IMPORT_RUNS} cold imports each ...`);
  const bundles = await measureBundles({
    root: REPO_ROOT,
    outDir: join(work, 'bundles'),
    entries,
    importRuns: IMPORT_RUNS,
    concurrency: CONCURRENCY,
    children,
  });
  const baseline = bundles.find((bundle) => bundle.entry === BASELINE_ENTRY);
  if (!baseline || baseline.error)
    throw new Error(`the baseline bundle failed: ${baseline?.error ?? 'missing'}`);

  // ---- the permission-set deployment engine over 1,000 simulated accounts (issue 6) ----
  progress(
    `simulating permission-set deployments: ${SIMULATED_ACCOUNTS} accounts x ${SIMULATED_ASSIGNMENTS} assignments ...`,
  );
  const simulation = await simulatePermissionSetDeployments({
    accounts: SIMULATED_ACCOUNTS,
    assignments: SIMULATED_ASSIGNMENTS,
    concurrency: SIMULATED_CONCURRENCY,
  });
  const simulatedTotal = SIMULATED_ACCOUNTS * SIMULATED_ASSIGNMENTS;

  // ---- targets ----
  const fetch = results.find((result) => result.operation === 'FetchCurrentUser');
  const authorizer = results.find((result) => result.operation.startsWith('Authorizer'));
  const functions = bundles.filter((bundle) => bundle !== baseline);
  const largest = functions.reduce<BundleResult | undefined>(
    (max, bundle) => (!max || bundle.bytes > max.bytes ? bundle : max),
    undefined,
  );
  const oversized = functions.filter((bundle) => bundle.bytes > TARGET_BUNDLE_RATIO * baseline.bytes);
  const targets: Target[] = [
    {
      target: 'single-item read (FetchCurrentUser) = 1 DynamoDB round trip after the authorizer',
      measured: fetch
        ? `${fetch.dynamodb.perRequest} (${breakdownText(fetch.dynamodb)}); authorizer: ${authorizer ? breakdownText(authorizer.dynamodb) : 'n/a'}`
        : 'n/a',
      pass: fetch?.dynamodb.perRequest === 1,
    },
    {
      target: `FetchCurrentUser p50 <= ${TARGET_FETCH_RATIO}x bare GetItem p50`,
      measured: fetch
        ? `${ratio(fetch.ratioToBareP50)} (${ms(fetch.p50)} ms vs ${ms(bareResult.p50)} ms)`
        : 'n/a',
      pass: fetch !== undefined && fetch.ratioToBareP50 <= TARGET_FETCH_RATIO,
    },
    {
      target: `no bundle over ${TARGET_BUNDLE_RATIO}x the baseline (${baseline.bytes} bytes)`,
      measured: largest
        ? `largest ${largest.entry} ${ratio(largest.bytes / baseline.bytes)}; ${oversized.length} of ${functions.length} over`
        : 'n/a',
      pass: oversized.length === 0 && functions.every((bundle) => !bundle.error),
    },
    ...signInTargets(results, bareResult),
    scimList.target,
    {
      target: `permission sets: ${SIMULATED_ACCOUNTS} accounts x ${SIMULATED_ASSIGNMENTS} assignments all DEPLOYMENT_COMPLETE, at most ${SIMULATED_CONCURRENCY} workers`,
      measured: `${JSON.stringify(simulation.deployments)}; ${simulation.iamCallsPerAccount.toFixed(1)} IAM calls/account (${simulation.throttledCalls} throttled, ${simulation.redeliveries} redeliveries); ${(simulation.elapsedMs / 1000).toFixed(1)} s; max ${simulation.maxWorkers} workers, ${simulation.maxInFlight} messages in flight`,
      pass:
        simulation.deployments.DEPLOYMENT_COMPLETE === simulatedTotal &&
        simulation.maxWorkers <= SIMULATED_CONCURRENCY,
    },
  ];

  const totalSeconds = elapsedMs(started) / 1000;
  const report = [
    `staxid bench — ${new Date().toISOString()} — node ${process.version}, ${ITERATIONS} timed requests per operation after ${WARMUP} warm-up, sequential`,
    `bare GetItem = a raw GetItemCommand through the same proxy to the same DynamoDB Local, measured in ${bare.blockP50s.length} blocks of ${Math.ceil(ITERATIONS / BARE_BLOCKS)} between the operations (block p50s: ${bareRange})`,
    scimHeader(),
    `${SIGN_IN_OPERATION} includes its aws.SignIn audit event, written as a file by the direct sink (local mode) before the answer; the authorizer's JWT verification is not in it (the Authorizer row)`,
    '',
    operationsTable(results),
    '',
    bundlesTable(bundles, baseline),
    '',
    table(
      ['target', 'measured', 'result'],
      targets.map((target) => [target.target, target.measured, target.pass ? 'PASS' : 'MISS']),
      [],
    ),
    '',
    `total ${totalSeconds.toFixed(1)} s`,
  ].join('\n');
  process.stdout.write(`${report}\n`);

  const resultsDir = join(REPO_ROOT, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const resultsFile = join(resultsDir, 'latest.json');
  writeFileSync(
    resultsFile,
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        node: process.version,
        iterations: ITERATIONS,
        warmup: WARMUP,
        users: USERS,
        scimUsers: SCIM_BENCH_USERS,
        operations: results,
        permissionSetSimulation: simulation,
        bundles: bundles.map((bundle) => ({
          ...bundle,
          sizeRatio: bundle.bytes / baseline.bytes,
          coldImportRatio: bundle.coldImportMs / baseline.coldImportMs,
        })),
        targets,
        totalSeconds,
      },
      null,
      2,
    )}\n`,
  );
  process.stdout.write(`results: ${resultsFile}\n`);
}

main()
  .then(
    () => cleanup(),
    async (error: unknown) => {
      process.stderr.write(
        `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exitCode = 1;
      await cleanup();
    },
  )
  .finally(() => {
    // Keep-alive sockets and timers of the SDK must not hold the process open once everything is stopped.
    process.exit();
  });
