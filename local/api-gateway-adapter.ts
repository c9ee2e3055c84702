/**
 * A local stand-in for the REST API of the Identity stack: a node `http` server that
 * matches requests against the route table, builds the Lambda proxy event API Gateway
 * would send, invokes the route's handler in this process and writes its result back.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import type {
  APIGatewayEventRequestContext,
  APIGatewayProxyEvent,
  APIGatewayProxyResult,
  Context,
} from 'aws-lambda';
import { type HttpMethod, ROUTES, type RouteDefinition } from '@/lambdas/routes';
import { json } from '@/lambdas/shared/http';

export type ProxyHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** Loads the handler behind a route. */
export type HandlerLoader = (route: RouteDefinition) => Promise<ProxyHandler>;

/**
 * What the authorizer decided, as API Gateway acts on a Lambda authorizer:
 * `allow` passes `context` on as `requestContext.authorizer`, `unauthorized` is a 401
 * (the authorizer threw "Unauthorized"), `deny` is a 403 (it returned a Deny policy).
 */
export type AuthorizerDecision =
  | {
      readonly effect: 'allow';
      readonly principalId: string;
      readonly context?: Readonly<Record<string, string | number | boolean>>;
    }
  | { readonly effect: 'unauthorized' }
  | { readonly effect: 'deny' };

/** Runs before the handler of every `bearer` route. */
export type Authorizer = (event: APIGatewayProxyEvent, route: RouteDefinition) => Promise<AuthorizerDecision>;

export interface ApiLogger {
  info(message: string): void;
  error(message: string, error?: unknown): void;
}

export interface ApiGatewayAdapterOptions {
  /** @default ROUTES */
  readonly routes?: readonly RouteDefinition[];
  /** @default imports `route.handler` from the repository root, once per file */
  readonly loadHandler?: HandlerLoader;
  /**
   * Verifies the caller on `bearer` routes.
   * @default every bearer route answers 401: there is no local authorizer yet
   */
  readonly authorize?: Authorizer;
  /** @default 'local' */
  readonly stage?: string;
  /**
   * Largest request body accepted; larger ones get a 413. Lambda takes at most 6 MB
   * of synchronous request payload, below API Gateway's 10 MB.
   * @default 6 MiB
   */
  readonly maxBodyBytes?: number;
  /**
   * Content types whose body reaches the handler base64-encoded (`isBase64Encoded`),
   * as the REST API's `binaryMediaTypes`; every other body is passed as UTF-8 text.
   * @default [] (API Gateway's default)
   */
  readonly binaryMediaTypes?: readonly string[];
  /**
   * How long a handler may run before the caller gets a 504, like API Gateway's integration timeout.
   * @default 29000
   */
  readonly timeoutMs?: number;
  /** @default console */
  readonly logger?: ApiLogger;
}

export const DEFAULT_MAX_BODY_BYTES = 6 * 1024 * 1024;
const LOCAL_ACCOUNT_ID = '000000000000';
const LOCAL_API_ID = 'local';

/** The repository root (this file is `local/api-gateway-adapter.ts`). */
export const REPO_ROOT = resolve(__dirname, '..');

/** Imports each handler file once, from `root`, and checks that it exports `handler`. */
export function moduleHandlerLoader(root: string = REPO_ROOT): HandlerLoader {
  const cache = new Map<string, Promise<ProxyHandler>>();
  return (route) => {
    let loaded = cache.get(route.handler);
    if (!loaded) {
      loaded = importHandler(resolve(root, route.handler));
      // A file that failed to load is tried again on the next request (e.g. after a fix).
      loaded.catch(() => cache.delete(route.handler));
      cache.set(route.handler, loaded);
    }
    return loaded;
  };
}

async function importHandler(file: string): Promise<ProxyHandler> {
  const module: unknown = await import(file);
  const handler = exportedHandler(module) ?? exportedHandler(propertyOf(module, 'default'));
  if (!handler) throw new Error(`${file} does not export a function named handler`);
  return handler;
}

function propertyOf(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

function exportedHandler(module: unknown): ProxyHandler | undefined {
  const handler = propertyOf(module, 'handler');
  return typeof handler === 'function' ? (handler as ProxyHandler) : undefined;
}

// ---- routing ------------------------------------------------------------------------------

type Segment =
  | { kind: 'literal'; value: string }
  | { kind: 'param'; name: string }
  | { kind: 'greedy'; name: string };

interface CompiledRoute {
  readonly route: RouteDefinition;
  readonly segments: readonly Segment[];
}

function compile(route: RouteDefinition): CompiledRoute {
  const segments = route.path
    .split('/')
    .filter((part) => part !== '')
    .map((part): Segment => {
      const greedy = /^\{(.+)\+\}$/.exec(part);
      if (greedy?.[1]) return { kind: 'greedy', name: greedy[1] };
      const param = /^\{(.+)\}$/.exec(part);
      if (param?.[1]) return { kind: 'param', name: param[1] };
      return { kind: 'literal', value: part };
    });
  return { route, segments };
}

/** Path parameters (still percent-encoded) when `parts` matches, else undefined. */
function match(compiled: CompiledRoute, parts: readonly string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (const [index, segment] of compiled.segments.entries()) {
    if (segment.kind === 'greedy') {
      if (index >= parts.length) return undefined;
      params[segment.name] = parts.slice(index).join('/');
      return params;
    }
    const part = parts[index];
    if (part === undefined) return undefined;
    if (segment.kind === 'literal' && segment.value !== part) return undefined;
    if (segment.kind === 'param') params[segment.name] = part;
  }
  return compiled.segments.length === parts.length ? params : undefined;
}

const SPECIFICITY = { literal: 0, param: 1, greedy: 2 } as const;

/** As API Gateway: a literal segment wins over `{param}`, which wins over `{proxy+}`. */
function bySpecificity(a: CompiledRoute, b: CompiledRoute): number {
  const length = Math.max(a.segments.length, b.segments.length);
  for (let index = 0; index < length; index++) {
    const left = a.segments[index];
    const right = b.segments[index];
    if (!left || !right) return left ? -1 : 1;
    const difference = SPECIFICITY[left.kind] - SPECIFICITY[right.kind];
    if (difference !== 0) return difference;
  }
  return 0;
}

// ---- the adapter --------------------------------------------------------------------------

class RequestError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** An error body in the shape of the Stax API's `Error` schema. */
function errorResult(
  statusCode: number,
  message: string,
  headers: Record<string, string> = {},
): APIGatewayProxyResult {
  return json(statusCode, { Error: message }, headers);
}

/** The request listener: use it with `http.createServer`, or start a server with `startApiServer`. */
export function createApiGatewayAdapter(
  options: ApiGatewayAdapterOptions = {},
): (request: IncomingMessage, response: ServerResponse) => void {
  const compiled = (options.routes ?? ROUTES).map(compile).sort(bySpecificity);
  const loadHandler = options.loadHandler ?? moduleHandlerLoader();
  const authorize: Authorizer = options.authorize ?? (async () => ({ effect: 'unauthorized' }));
  const stage = options.stage ?? 'local';
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const binaryMediaTypes = options.binaryMediaTypes ?? [];
  const timeoutMs = options.timeoutMs ?? 29_000;
  const logger = options.logger ?? console;

  async function handle(request: IncomingMessage, requestId: string): Promise<APIGatewayProxyResult> {
    const method = (request.method ?? 'GET').toUpperCase();
    const url = new URL(request.url ?? '/', 'http://localhost');
    const parts = url.pathname.split('/').filter((part) => part !== '');

    const matching = compiled
      .map((candidate) => ({ candidate, params: match(candidate, parts) }))
      .filter((found) => found.params !== undefined);
    if (matching.length === 0) {
      return errorResult(404, `No route for ${url.pathname}. GET /openapi.json lists the routes.`);
    }
    const found = matching.find(({ candidate }) => candidate.route.method === method);
    if (!found?.params) {
      const allowed = [...new Set(matching.map(({ candidate }) => candidate.route.method))].sort();
      return errorResult(405, `${method} is not allowed on ${url.pathname}; use ${allowed.join(', ')}.`, {
        Allow: allowed.join(', '),
      });
    }
    const { route } = found.candidate;

    const body = await readBody(request, maxBodyBytes);
    const event = buildEvent({
      request,
      url,
      route,
      pathParams: found.params,
      body,
      requestId,
      stage,
      binaryMediaTypes,
    });

    if (route.auth === 'bearer') {
      const decision = await authorize(event, route);
      if (decision.effect === 'unauthorized') {
        return errorResult(401, 'Unauthorized: send a valid bearer token in the Authorization header.');
      }
      if (decision.effect === 'deny') {
        return errorResult(403, 'Forbidden: the caller may not use this operation.');
      }
      event.requestContext.authorizer = { ...decision.context, principalId: decision.principalId };
    }

    const handler = await loadHandler(route);
    const context = lambdaContext(route, requestId, timeoutMs);
    const result = await withTimeout(handler(event, context), timeoutMs);
    if (result === TIMED_OUT) {
      logger.error(`${requestId} ${route.operationId} did not answer within ${timeoutMs} ms`);
      return errorResult(504, 'The request timed out.');
    }
    if (!isProxyResult(result)) {
      logger.error(`${requestId} ${route.operationId} returned a malformed Lambda proxy response`, result);
      return errorResult(502, 'Internal server error');
    }
    return result;
  }

  return (request, response) => {
    const started = Date.now();
    const requestId = randomUUID();
    handle(request, requestId)
      .catch((error: unknown): APIGatewayProxyResult => {
        if (error instanceof RequestError) return errorResult(error.statusCode, error.message);
        // The detail stays in the log; the caller learns nothing internal.
        logger.error(`${requestId} ${request.method} ${request.url} failed`, error);
        return errorResult(500, 'Internal server error');
      })
      .then((result) => {
        writeResult(response, result, requestId);
        logger.info(`${request.method} ${request.url} ${result.statusCode} ${Date.now() - started} ms`);
        if (result.statusCode === 413) {
          // The rest of the body is not read: close the connection rather than drain it.
          response.once('finish', () => request.destroy());
        }
      })
      .catch((error: unknown) => {
        logger.error(`${requestId} could not write the response`, error);
        response.destroy();
      });
  };
}

function readBody(request: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const tooLarge = new RequestError(413, `The request body is larger than the limit of ${maxBytes} bytes.`);
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.reject(tooLarge);
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        request.off('data', onData);
        request.pause();
        reject(tooLarge);
        return;
      }
      chunks.push(chunk);
    };
    request.on('data', onData);
    request.once('end', () => resolveBody(Buffer.concat(chunks)));
    request.once('error', reject);
  });
}

interface EventInput {
  readonly request: IncomingMessage;
  readonly url: URL;
  readonly route: RouteDefinition;
  readonly pathParams: Record<string, string>;
  readonly body: Buffer;
  readonly requestId: string;
  readonly stage: string;
  readonly binaryMediaTypes: readonly string[];
}

function buildEvent(input: EventInput): APIGatewayProxyEvent {
  const { request, url, route, body, requestId, stage } = input;
  const method = (request.method ?? 'GET').toUpperCase() as HttpMethod;

  // Headers keep the case the client sent; `headers` holds the last value of each.
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let index = 0; index + 1 < request.rawHeaders.length; index += 2) {
    const name = request.rawHeaders[index] ?? '';
    const value = request.rawHeaders[index + 1] ?? '';
    headers[name] = value;
    multiValueHeaders[name] = [...(multiValueHeaders[name] ?? []), value];
  }

  const query: Record<string, string> = {};
  const multiValueQuery: Record<string, string[]> = {};
  for (const [name, value] of url.searchParams) {
    query[name] = value;
    multiValueQuery[name] = [...(multiValueQuery[name] ?? []), value];
  }

  const pathParameters: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.pathParams)) {
    try {
      pathParameters[name] = decodeURIComponent(value);
    } catch {
      throw new RequestError(400, `The path parameter ${name} is not valid percent-encoding.`);
    }
  }

  const contentType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const isBase64Encoded = body.length > 0 && isBinary(contentType, input.binaryMediaTypes);
  const now = new Date();
  const sourceIp = (request.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');

  const requestContext: APIGatewayEventRequestContext = {
    accountId: LOCAL_ACCOUNT_ID,
    apiId: LOCAL_API_ID,
    authorizer: null,
    domainName: request.headers.host ?? 'localhost',
    domainPrefix: (request.headers.host ?? 'localhost').split('.')[0],
    extendedRequestId: requestId,
    httpMethod: method,
    identity: {
      accessKey: null,
      accountId: null,
      apiKey: null,
      apiKeyId: null,
      caller: null,
      clientCert: null,
      cognitoAuthenticationProvider: null,
      cognitoAuthenticationType: null,
      cognitoIdentityId: null,
      cognitoIdentityPoolId: null,
      principalOrgId: null,
      sourceIp,
      user: null,
      userAgent: request.headers['user-agent'] ?? null,
      userArn: null,
    },
    path: `/${stage}${url.pathname}`,
    protocol: `HTTP/${request.httpVersion}`,
    requestId,
    requestTime: formatRequestTime(now),
    requestTimeEpoch: now.getTime(),
    resourceId: route.operationId,
    resourcePath: route.path,
    stage,
  };

  return {
    resource: route.path,
    path: url.pathname,
    httpMethod: method,
    headers,
    multiValueHeaders,
    queryStringParameters: Object.keys(query).length > 0 ? query : null,
    multiValueQueryStringParameters: Object.keys(multiValueQuery).length > 0 ? multiValueQuery : null,
    pathParameters: Object.keys(pathParameters).length > 0 ? pathParameters : null,
    stageVariables: null,
    requestContext,
    body: body.length === 0 ? null : body.toString(isBase64Encoded ? 'base64' : 'utf8'),
    isBase64Encoded,
  };
}

function isBinary(contentType: string, binaryMediaTypes: readonly string[]): boolean {
  return binaryMediaTypes.some((type) => {
    if (type === '*/*') return true;
    if (type.endsWith('/*')) return contentType.startsWith(type.slice(0, -1));
    return type.toLowerCase() === contentType;
  });
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** API Gateway's `requestTime`: `09/Apr/2015:12:34:56 +0000`. */
function formatRequestTime(date: Date): string {
  const pad = (value: number): string => String(value).padStart(2, '0');
  return (
    `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}

function lambdaContext(route: RouteDefinition, requestId: string, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  const functionName = `staxid-local-${route.operationId}`;
  const unsupported = (): never => {
    throw new Error('Callback-style completion is not supported: return a promise from the handler.');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:${LOCAL_ACCOUNT_ID}:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

const TIMED_OUT = Symbol('timed out');

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolveTimeout) => {
    timer = setTimeout(() => resolveTimeout(TIMED_OUT), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function isProxyResult(value: unknown): value is APIGatewayProxyResult {
  if (typeof value !== 'object' || value === null) return false;
  const result = value as Record<string, unknown>;
  return (
    Number.isInteger(result.statusCode) &&
    (result.body === undefined || typeof result.body === 'string') &&
    (result.headers === undefined || (typeof result.headers === 'object' && result.headers !== null)) &&
    (result.multiValueHeaders === undefined ||
      (typeof result.multiValueHeaders === 'object' && result.multiValueHeaders !== null))
  );
}

/**
 * Writes a proxy result as API Gateway does: `multiValueHeaders` and `headers` are merged,
 * the multi-value list winning for a name in both; a base64 body is decoded.
 */
function writeResult(response: ServerResponse, result: APIGatewayProxyResult, requestId: string): void {
  const merged = new Map<string, { name: string; values: string[] }>();
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) {
    merged.set(name.toLowerCase(), { name, values: values.map(String) });
  }
  for (const [name, value] of Object.entries(result.headers ?? {})) {
    if (!merged.has(name.toLowerCase())) merged.set(name.toLowerCase(), { name, values: [String(value)] });
  }
  merged.set('x-amzn-requestid', { name: 'x-amzn-RequestId', values: [requestId] });
  const body = Buffer.from(result.body ?? '', result.isBase64Encoded ? 'base64' : 'utf8');
  merged.set('content-length', { name: 'Content-Length', values: [String(body.length)] });
  for (const { name, values } of merged.values()) {
    response.setHeader(name, values.length === 1 ? (values[0] ?? '') : values);
  }
  response.statusCode = result.statusCode;
  response.end(body);
}

// ---- the server ---------------------------------------------------------------------------

export interface ApiServerOptions extends ApiGatewayAdapterOptions {
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** 0 picks a free port; `port` on the result says which. */
  readonly port: number;
}

export interface ApiServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  /** Stops accepting connections, ends idle keep-alive ones and resolves when all are closed. */
  close(): Promise<void>;
}

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const host = options.host ?? '127.0.0.1';
  const server = createServer(createApiGatewayAdapter(options));
  // Bound the time a slow client may hold a connection.
  server.requestTimeout = 60_000;
  server.headersTimeout = 30_000;
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen({ host, port: options.port }, () => {
      server.off('error', reject);
      resolveListen();
    });
  }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EADDRINUSE') {
      throw new Error(
        `Port ${options.port} on ${host} is already in use: set PORT to another port (0 picks a free one).`,
      );
    }
    throw error;
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    server,
    close: () => {
      closing ??= new Promise<void>((resolveClose, reject) => {
        server.close((error) => (error ? reject(error) : resolveClose()));
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
