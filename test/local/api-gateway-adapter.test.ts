import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { RouteDefinition } from '@/lambdas/routes';
import {
  type ApiLogger,
  type ApiServer,
  type ApiServerOptions,
  type HandlerLoader,
  moduleHandlerLoader,
  type ProxyHandler,
  startApiServer,
} from '@/local/api-gateway-adapter';

function route(
  method: RouteDefinition['method'],
  path: string,
  handler: string,
  auth: RouteDefinition['auth'] = 'none',
) {
  return { operationId: handler, method, path, handler, auth, summary: handler, tag: 'Test' } as const;
}

const ROUTES: readonly RouteDefinition[] = [
  route('GET', '/things/{thing_id}', 'echo'),
  route('POST', '/things/{thing_id}', 'echo'),
  route('GET', '/things/special', 'special'),
  route('GET', '/files/{proxy+}', 'echo'),
  route('GET', '/secret', 'echo', 'bearer'),
  route('GET', '/boom', 'boom'),
  route('GET', '/malformed', 'malformed'),
  route('GET', '/slow', 'slow'),
  route('GET', '/headers', 'headers'),
  route('GET', '/binary', 'binary'),
];

/** What the echo handler saw, for the assertions. */
let lastEvent: APIGatewayProxyEvent | undefined;
let lastContext: Context | undefined;

const HANDLERS: Record<string, ProxyHandler> = {
  echo: async (event, context) => {
    lastEvent = event;
    lastContext = context;
    return { statusCode: 200, body: JSON.stringify({ resource: event.resource }) };
  },
  special: async () => ({ statusCode: 200, body: JSON.stringify({ resource: 'special' }) }),
  boom: async () => {
    throw new Error('database password is hunter2');
  },
  malformed: async () => ({ body: 'no status code' }) as unknown as APIGatewayProxyResult,
  slow: () => new Promise((resolve) => setTimeout(() => resolve({ statusCode: 200, body: 'late' }), 400)),
  headers: async () => ({
    statusCode: 201,
    headers: { 'X-Single': 'one', 'Set-Cookie': 'ignored=1' },
    multiValueHeaders: { 'Set-Cookie': ['a=1', 'b=2'] },
    body: 'created',
  }),
  binary: async () => ({
    statusCode: 200,
    headers: { 'Content-Type': 'application/octet-stream' },
    body: Buffer.from([0, 1, 2, 255]).toString('base64'),
    isBase64Encoded: true,
  }),
};

const loadHandler: HandlerLoader = async (definition) => {
  const handler = HANDLERS[definition.handler];
  if (!handler) throw new Error(`no test handler ${definition.handler}`);
  return handler;
};

function collectingLogger(): ApiLogger & { errors: Array<{ message: string; error: unknown }> } {
  const errors: Array<{ message: string; error: unknown }> = [];
  return { errors, info: () => {}, error: (message, error) => errors.push({ message, error }) };
}

async function withServer(
  options: Partial<ApiServerOptions>,
  test: (api: ApiServer, logger: ReturnType<typeof collectingLogger>) => Promise<void>,
): Promise<void> {
  const logger = collectingLogger();
  const api = await startApiServer({ port: 0, routes: ROUTES, loadHandler, logger, ...options });
  try {
    await test(api, logger);
  } finally {
    await api.close();
  }
}

describe('the local API Gateway adapter', () => {
  let api: ApiServer;
  let logger: ReturnType<typeof collectingLogger>;
  beforeAll(async () => {
    logger = collectingLogger();
    api = await startApiServer({ port: 0, routes: ROUTES, loadHandler, logger, timeoutMs: 200 });
  });
  afterAll(() => api.close());
  beforeEach(() => {
    lastEvent = undefined;
    logger.errors.length = 0;
  });

  it('listens on 127.0.0.1 on the port the system picked', () => {
    expect(api.port).toBeGreaterThan(0);
    expect(api.url).toBe(`http://127.0.0.1:${api.port}`);
  });

  it('builds the proxy event API Gateway sends for a GET', async () => {
    const response = await fetch(`${api.url}/things/a%20b?tag=x&tag=y&one=1`, {
      headers: [
        ['X-Custom', 'first'],
        ['X-Custom', 'second'],
        ['User-Agent', 'staxid-test'],
      ],
    });

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ resource: '/things/{thing_id}' });
    expect(response.headers.get('x-amzn-requestid')).toBe(lastEvent?.requestContext.requestId);
    expect(lastEvent).toMatchObject({
      resource: '/things/{thing_id}',
      path: '/things/a%20b',
      httpMethod: 'GET',
      pathParameters: { thing_id: 'a b' },
      queryStringParameters: { tag: 'y', one: '1' },
      multiValueQueryStringParameters: { tag: ['x', 'y'], one: ['1'] },
      stageVariables: null,
      body: null,
      isBase64Encoded: false,
      requestContext: {
        httpMethod: 'GET',
        resourcePath: '/things/{thing_id}',
        path: '/local/things/a%20b',
        stage: 'local',
        authorizer: null,
        identity: { sourceIp: '127.0.0.1', userAgent: 'staxid-test' },
      },
    });
    expect(lastEvent?.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
    // fetch joins repeated headers into one; the multi-value form keeps what arrived.
    expect(lastEvent?.headers['X-Custom']).toBe('first, second');
    expect(lastEvent?.multiValueHeaders['X-Custom']).toEqual(['first, second']);
    expect(lastContext?.awsRequestId).toBe(lastEvent?.requestContext.requestId);
    expect(lastContext?.getRemainingTimeInMillis()).toBeGreaterThan(0);
  });

  it('passes a POST body as UTF-8 text', async () => {
    const response = await fetch(`${api.url}/things/t1`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ Name: 'é' }),
    });

    expect(response.status).toBe(200);
    expect(lastEvent?.body).toBe('{"Name":"é"}');
    expect(lastEvent?.isBase64Encoded).toBe(false);
    expect(lastEvent?.queryStringParameters).toBeNull();
  });

  it('prefers a literal path segment over a {param}', async () => {
    const response = await fetch(`${api.url}/things/special`);
    expect(await response.json()).toEqual({ resource: 'special' });
  });

  it('matches a greedy {proxy+} segment', async () => {
    await fetch(`${api.url}/files/a/b/c.txt`);
    expect(lastEvent?.pathParameters).toEqual({ proxy: 'a/b/c.txt' });
  });

  it('answers 404 with an error body for an unknown path', async () => {
    const response = await fetch(`${api.url}/nowhere`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({
      Error: 'No route for /nowhere. GET /openapi.json lists the routes.',
    });
  });

  it('answers 405 with Allow for a known path and another method', async () => {
    const response = await fetch(`${api.url}/things/t1`, { method: 'DELETE' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, POST');
    expect(await response.json()).toEqual({ Error: 'DELETE is not allowed on /things/t1; use GET, POST.' });
  });

  it('answers 401 on a bearer route when there is no authorizer, without calling the handler', async () => {
    const response = await fetch(`${api.url}/secret`, { headers: { Authorization: 'Bearer anything' } });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      Error: 'Unauthorized: send a valid bearer token in the Authorization header.',
    });
    expect(lastEvent).toBeUndefined();
  });

  it('answers 500 with a generic body when the handler throws, and logs the error', async () => {
    const response = await fetch(`${api.url}/boom`);
    const text = await response.text();
    expect(response.status).toBe(500);
    expect(JSON.parse(text)).toEqual({ Error: 'Internal server error' });
    expect(text).not.toContain('hunter2');
    expect(logger.errors).toHaveLength(1);
    expect(logger.errors[0]?.error).toEqual(new Error('database password is hunter2'));
  });

  it('answers 502 when the handler returns no status code', async () => {
    const response = await fetch(`${api.url}/malformed`);
    expect(response.status).toBe(502);
    expect(await response.json()).toEqual({ Error: 'Internal server error' });
  });

  it('answers 504 when the handler runs past the timeout', async () => {
    const response = await fetch(`${api.url}/slow`);
    expect(response.status).toBe(504);
    expect(await response.json()).toEqual({ Error: 'The request timed out.' });
  });

  it('merges headers and multiValueHeaders, the multi-value list winning', async () => {
    const response = await fetch(`${api.url}/headers`);
    expect(response.status).toBe(201);
    expect(response.headers.get('x-single')).toBe('one');
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(await response.text()).toBe('created');
  });

  it('decodes a base64 response body', async () => {
    const response = await fetch(`${api.url}/binary`);
    expect(Buffer.from(await response.arrayBuffer())).toEqual(Buffer.from([0, 1, 2, 255]));
  });
});

describe('adapter options', () => {
  it('answers 413 for a body over the limit, without calling the handler', async () => {
    await withServer({ maxBodyBytes: 1024 }, async (api) => {
      lastEvent = undefined;
      const declared = await fetch(`${api.url}/things/t1`, { method: 'POST', body: 'x'.repeat(1025) });
      expect(declared.status).toBe(413);
      expect(await declared.json()).toEqual({
        Error: 'The request body is larger than the limit of 1024 bytes.',
      });

      // Streamed without a Content-Length: counted as it arrives.
      const chunks = [new Uint8Array(600).fill(120), new Uint8Array(600).fill(120)];
      const streamed = await fetch(`${api.url}/things/t1`, {
        method: 'POST',
        body: new ReadableStream({
          start(controller) {
            for (const chunk of chunks) controller.enqueue(chunk);
            controller.close();
          },
        }),
        duplex: 'half',
      } as RequestInit);
      expect(streamed.status).toBe(413);
      expect(lastEvent).toBeUndefined();

      const within = await fetch(`${api.url}/things/t1`, { method: 'POST', body: 'x'.repeat(1024) });
      expect(within.status).toBe(200);
    });
  });

  it('limits bodies to 6 MiB by default, as Lambda does', async () => {
    await withServer({}, async (api) => {
      const tooLarge = await fetch(`${api.url}/things/t1`, {
        method: 'POST',
        body: 'x'.repeat(6 * 1024 * 1024 + 1),
      });
      expect(tooLarge.status).toBe(413);
      const largest = await fetch(`${api.url}/things/t1`, {
        method: 'POST',
        body: 'x'.repeat(6 * 1024 * 1024),
      });
      expect(largest.status).toBe(200);
      expect(lastEvent?.body).toHaveLength(6 * 1024 * 1024);
    });
  });

  it('passes bodies of binaryMediaTypes base64-encoded', async () => {
    await withServer({ binaryMediaTypes: ['application/octet-stream'] }, async (api) => {
      await fetch(`${api.url}/things/t1`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/octet-stream' },
        body: new Uint8Array([0, 159, 255]),
      });
      expect(lastEvent?.isBase64Encoded).toBe(true);
      expect(lastEvent?.body).toBe(Buffer.from([0, 159, 255]).toString('base64'));
    });
  });

  it('runs the authorize hook on bearer routes and hands its context to the handler', async () => {
    const authorize: ApiServerOptions['authorize'] = async (event) => {
      const header = event.headers.Authorization ?? event.headers.authorization;
      if (header === 'Bearer good')
        return { effect: 'allow', principalId: 'user-1', context: { role: 'admin' } };
      if (header === 'Bearer forbidden') return { effect: 'deny' };
      return { effect: 'unauthorized' };
    };
    await withServer({ authorize }, async (api) => {
      const allowed = await fetch(`${api.url}/secret`, { headers: { Authorization: 'Bearer good' } });
      expect(allowed.status).toBe(200);
      expect(lastEvent?.requestContext.authorizer).toEqual({ principalId: 'user-1', role: 'admin' });

      const denied = await fetch(`${api.url}/secret`, { headers: { Authorization: 'Bearer forbidden' } });
      expect(denied.status).toBe(403);
      expect(await denied.json()).toEqual({ Error: 'Forbidden: the caller may not use this operation.' });

      const missing = await fetch(`${api.url}/secret`);
      expect(missing.status).toBe(401);
    });
  });

  it('reports a port that is taken', async () => {
    await withServer({}, async (api) => {
      await expect(startApiServer({ port: api.port, routes: ROUTES, loadHandler })).rejects.toThrow(
        `Port ${api.port} on 127.0.0.1 is already in use: set PORT to another port (0 picks a free one).`,
      );
    });
  });
});

describe('moduleHandlerLoader', () => {
  it('imports the handler file of a route once and reuses it', async () => {
    const load = moduleHandlerLoader();
    const health = route('GET', '/health', 'lambdas/meta/health.ts');
    const first = await load(health);
    expect(await load(health)).toBe(first);
    const result = await first({} as APIGatewayProxyEvent, {} as Context);
    expect(JSON.parse(result.body)).toMatchObject({ status: 'ok', service: 'staxid' });
  });

  it('fails for a file without a handler export', async () => {
    const load = moduleHandlerLoader();
    await expect(load(route('GET', '/x', 'lambdas/shared/constants.ts'))).rejects.toThrow(
      /lambdas\/shared\/constants\.ts does not export a function named handler$/,
    );
  });
});
