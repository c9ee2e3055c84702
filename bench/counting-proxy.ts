/**
 * A loopback HTTP proxy in front of DynamoDB Local that counts the requests passing through it,
 * by operation (the `X-Amz-Target` header, e.g. `DynamoDB_20120810.GetItem` → `GetItem`) and by
 * phase (what the bench says is running: the authorizer, the handler, ...). The handlers reach it
 * through `AWS_ENDPOINT_URL_DYNAMODB`, so the service code is measured unchanged.
 */
import { Agent, createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Phase = 'authorizer' | 'handler' | 'baseline' | 'setup';

export interface CountingProxy {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** Requests seen so far, by phase, then by operation. */
  readonly counts: () => Map<Phase, Map<string, number>>;
  /** What the next requests are attributed to (the bench runs one request at a time). */
  setPhase(phase: Phase): void;
  reset(): void;
  close(): Promise<void>;
}

export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  let phase: Phase = 'setup';
  let counts = new Map<Phase, Map<string, number>>();

  const server: Server = createServer((req, res) => {
    const targetHeader = req.headers['x-amz-target'];
    const operation = (Array.isArray(targetHeader) ? targetHeader[0] : targetHeader)?.split('.').pop() ?? '?';
    let byOperation = counts.get(phase);
    if (!byOperation) {
      byOperation = new Map();
      counts.set(phase, byOperation);
    }
    byOperation.set(operation, (byOperation.get(operation) ?? 0) + 1);

    const forward = httpRequest(
      {
        agent,
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
      },
      (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
      },
    );
    forward.on('error', (error) => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(String(error));
    });
    req.pipe(forward);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    counts: () => counts,
    setPhase: (next) => {
      phase = next;
    },
    reset: () => {
      counts = new Map();
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
