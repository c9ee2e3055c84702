/**
 * A loopback HTTP proxy in front of DynamoDB Local that counts the requests passing through it,
 * by operation (the `X-Amz-Target` header, e.g. `DynamoDB_20120810.GetItem` → `GetItem`) and by
 * phase (what the bench says is running: the authorizer, the handler, ...), with the time each
 * spent upstream, and the round trips: the stretches of time during which at least one request
 * is in flight (requests sent together count once, one that waits for another's answer counts
 * again). The handlers reach it through `AWS_ENDPOINT_URL_DYNAMODB`, so the service code is
 * measured unchanged.
 */
import { Agent, createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Phase = 'authorizer' | 'handler' | 'baseline' | 'setup';

/** What the proxy saw of one operation in one phase. */
export interface OperationCount {
  readonly requests: number;
  /** Sum of the answered requests' times from arrival to the end of the answer, ms. */
  readonly upstreamMs: number;
  /** Requests whose answer has been sent (the mean time is upstreamMs ÷ answered). */
  readonly answered: number;
}

export interface CountingProxy {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** Requests seen so far, by phase, then by operation. */
  readonly counts: () => Map<Phase, Map<string, OperationCount>>;
  /** Round trips so far, by phase: how often the proxy went from no request in flight to one. */
  readonly roundTrips: () => Map<Phase, number>;
  /** What the next requests are attributed to (the bench runs one request at a time). */
  setPhase(phase: Phase): void;
  reset(): void;
  close(): Promise<void>;
}

export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  let phase: Phase = 'setup';
  let counts = new Map<Phase, Map<string, OperationCount>>();
  let roundTrips = new Map<Phase, number>();
  let inFlight = 0;

  const server: Server = createServer((req, res) => {
    const start = process.hrtime.bigint();
    const targetHeader = req.headers['x-amz-target'];
    const operation = (Array.isArray(targetHeader) ? targetHeader[0] : targetHeader)?.split('.').pop() ?? '?';
    let byOperation = counts.get(phase);
    if (!byOperation) {
      byOperation = new Map();
      counts.set(phase, byOperation);
    }
    const counted = byOperation;
    const seen = counted.get(operation) ?? { requests: 0, upstreamMs: 0, answered: 0 };
    counted.set(operation, { ...seen, requests: seen.requests + 1 });
    if (inFlight === 0) roundTrips.set(phase, (roundTrips.get(phase) ?? 0) + 1);
    inFlight += 1;
    let done = false;
    const answered = (): void => {
      if (done) return;
      done = true;
      inFlight -= 1;
      const current = counted.get(operation) ?? { requests: 1, upstreamMs: 0, answered: 0 };
      counted.set(operation, {
        ...current,
        upstreamMs: current.upstreamMs + Number(process.hrtime.bigint() - start) / 1e6,
        answered: current.answered + 1,
      });
    };
    res.once('finish', answered);
    res.once('close', answered);

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
    roundTrips: () => roundTrips,
    setPhase: (next) => {
      phase = next;
    },
    reset: () => {
      counts = new Map();
      roundTrips = new Map();
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
