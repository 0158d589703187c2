import { createConnection, createServer, type Server, type Socket } from 'node:net';

/** A TCP relay in front of one NATS server that can stop a client at its first publish to a subject. */
export interface NatsTap {
  /** `nats://127.0.0.1:<port>`: give it to one process as NATS_URL. */
  url: string;
  /**
   * Arms the tap: the first publish (PUB or HPUB) whose subject starts with `subjectPrefix`, from
   * any client of the tap, is never forwarded — nor anything that client sends after it — and
   * `onHit` runs (to SIGKILL the process, say). Resolves once it ran; rejects when no such
   * publish came within `timeoutMs` (the tap is disarmed then).
   */
  stopAtPublish(subjectPrefix: string, onHit: () => Promise<unknown>, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts a tap relaying to `upstream` (`nats://host:port`). It exists so a fault scenario can kill
 * a process at an exact point between two of its own steps, where the process has no hook: the
 * point right before a publish leaves it (a command recorded in Postgres but not yet on NATS).
 * NATS's client protocol is text lines, so the tap only has to find `PUB <subject>` in what a
 * client writes; authentication (NKey challenges) passes through untouched. Plain TCP only.
 */
export async function startNatsTap(upstream: string): Promise<NatsTap> {
  const target = new URL(upstream);
  const sockets = new Set<Socket>();
  let armed: { needle: Buffer; hit: () => void } | undefined;
  const server: Server = createServer((client) => {
    const up = createConnection({ host: target.hostname, port: Number(target.port) });
    sockets.add(client).add(up);
    let cut = false;
    // A subject can straddle two chunks: keep the tail of the previous one to search across.
    let tail = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      if (cut) return;
      const trap = armed;
      if (trap) {
        const seen = Buffer.concat([tail, chunk]);
        if (seen.includes(trap.needle)) {
          cut = true;
          armed = undefined;
          trap.hit();
          return;
        }
        tail = seen.subarray(Math.max(0, seen.length - trap.needle.length));
      }
      up.write(chunk);
    });
    up.on('data', (chunk: Buffer) => client.write(chunk));
    const close = () => {
      client.destroy();
      up.destroy();
      sockets.delete(client);
      sockets.delete(up);
    };
    client.on('close', close).on('error', close);
    up.on('close', close).on('error', close);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };
  return {
    url: `nats://127.0.0.1:${port}`,
    stopAtPublish(subjectPrefix, onHit, timeoutMs = 60_000) {
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          armed = undefined;
          reject(new Error(`no publish to ${subjectPrefix}… passed the tap within ${timeoutMs} ms`));
        }, timeoutMs);
        // `PUB <subject>` is also the tail of `HPUB <subject>`
        armed = {
          needle: Buffer.from(`PUB ${subjectPrefix}`),
          hit: () => {
            clearTimeout(timer);
            void onHit().then(() => resolve(), reject);
          },
        };
      });
    },
    async stop() {
      armed = undefined;
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
