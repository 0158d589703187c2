import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a receiver got. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
  /** The status it was answered with; undefined while held, or when the sender was gone before the answer. */
  status?: number;
}

/**
 * What the receiver answers: a status (and optional headers/body) per request, in order; the last
 * one repeats. A step with `hold` answers only once the promise it returns settles (a test kills
 * the sender meanwhile, say).
 */
export type ReceiverScript = Array<
  | number
  | {
      status: number;
      headers?: Record<string, string>;
      body?: string;
      hold?: (req: ReceivedRequest) => Promise<unknown>;
    }
>;

/** A local HTTP endpoint that records what it receives, for webhook and chat-format tests. */
export interface HttpReceiver {
  url: string;
  port: number;
  requests: ReceivedRequest[];
  /** Resolves when `count` requests have arrived (event-driven). */
  waitForRequests(count: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  setScript(script: ReceiverScript): void;
  stop(): Promise<void>;
}

/** Starts a receiver on 127.0.0.1 (port 0 picks one). */
export async function startHttpReceiver(
  options: { port?: number; script?: ReceiverScript } = {},
): Promise<HttpReceiver> {
  const requests: ReceivedRequest[] = [];
  let script: ReceiverScript = options.script ?? [200];
  let waiters: Array<() => void> = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const received: ReceivedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      };
      requests.push(received);
      const step = script[Math.min(requests.length - 1, script.length - 1)] ?? 200;
      const s = typeof step === 'number' ? { status: step } : step;
      const answer = () => {
        if (res.destroyed) return;
        res.writeHead(s.status, { 'content-type': 'text/plain', ...(s.headers ?? {}) });
        res.end(s.body ?? 'ok');
        received.status = s.status;
      };
      if (s.hold) void s.hold(received).then(answer, answer);
      else answer();
      const w = waiters;
      waiters = [];
      w.forEach((f) => f());
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    setScript: (s) => (script = s),
    waitForRequests(count, timeoutMs = 30000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (requests.length >= count) {
            clearTimeout(timer);
            resolve(requests.slice(0, count));
            return true;
          }
          return false;
        };
        const timer = setTimeout(
          () => reject(new Error(`receiver got ${requests.length} of ${count} requests`)),
          timeoutMs,
        );
        if (check()) return;
        const again = () => {
          if (!check()) waiters.push(again);
        };
        waiters.push(again);
      });
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
