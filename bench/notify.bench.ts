/**
 * bench:notify — how much signing, the SSRF guard and address pinning cost per delivery.
 *
 * Sends the same CloudEvent bodies to the same local sink (its own process) with the same
 * concurrency, twice per round: plain unsigned POSTs over a keep-alive agent (the baseline),
 * and the notifier's real delivery path (webhook channel: Standard Webhooks signature, then
 * `deliver`: destination check, pinned keep-alive agent, response classification). After a
 * warm-up of both sides (the sink's JIT too), rounds alternate which side goes first, and the
 * median of the per-round ratios is reported, so drift on a shared machine cancels out. Last line:
 *   bench:notify deliveries_per_s=<n> ratio_vs_raw_post=<r>
 * Settings: BENCH_DELIVERIES (default 20000 per side per round), BENCH_CONCURRENCY (32), BENCH_ROUNDS (6).
 */
import { spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createEvent, Subjects } from '@lockstep/contracts';
import { releasePayload } from '@lockstep/testing';
import { webhookChannel, generateWebhookSecret } from '../services/notifier/src/channels/webhook';
import { AgentPool, AllowList } from '@lockstep/net-guard';
import { AttemptOutcome, deliver } from '../services/notifier/src/http';

const N = Number(process.env.BENCH_DELIVERIES ?? 20000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);

async function startSink(): Promise<{ url: string; stop(): void }> {
  const child = spawn(process.execPath, [join(__dirname, 'support', 'sink-server.js')], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`sink exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${line.trim()}/hook`, stop: () => child.stdin.end() };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Runs `n` tasks with `concurrency` in flight; returns deliveries per second. */
async function pump(n: number, concurrency: number, task: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const started = process.hrtime.bigint();
  const worker = async () => {
    while (next < n) await task(next++);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return n / seconds;
}

function rawPost(url: URL, agent: Agent, body: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        hostname: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': String(body.length) },
      },
      (res) => {
        res.resume();
        res.on('end', () => (res.statusCode! < 300 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function main(): Promise<void> {
  const sink = await startSink();
  const url = new URL(sink.url);
  const events = Array.from({ length: 256 }, (_, i) =>
    createEvent(
      Subjects.ReleaseAvailable,
      releasePayload({
        component: 'bench',
        version: `1.${i}.0`,
        currentVersion: '1.0.0',
        notes: 'Release notes '.repeat(20),
      }),
      { source: '/lockstep/bench', subject: 'bench' },
    ),
  );
  const bodies = events.map((e) => Buffer.from(JSON.stringify(e)));
  const target = webhookChannel.validateTarget({ url: sink.url, secrets: [generateWebhookSecret()] });
  const allowList = AllowList.parse('loopback');
  const rawAgent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const agents = new AgentPool({ maxSocketsPerAgent: CONCURRENCY });
  let failures = 0;

  const raw = (n: number) => pump(n, CONCURRENCY, (i) => rawPost(url, rawAgent, bodies[i % bodies.length]));
  const signed = (n: number) =>
    pump(n, CONCURRENCY, async (i) => {
      const ev = events[i % events.length];
      const req = webhookChannel.buildRequest(ev, target, { attempt: 1, messageId: `msg_${i}` });
      const r = await deliver(req, { allowList, timeoutMs: 10_000, agents });
      if (r.outcome !== AttemptOutcome.Delivered) failures++;
    });

  for (let i = 0; i < 3; i++) {
    await raw(Math.min(5000, N));
    await signed(Math.min(5000, N));
  }
  const ratios: number[] = [];
  const signedRates: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    let r: number;
    let s: number;
    if (round % 2) {
      r = await raw(N);
      s = await signed(N);
    } else {
      s = await signed(N);
      r = await raw(N);
    }
    ratios.push(s / r);
    signedRates.push(s);
    console.log(
      `round ${round}: raw_post=${r.toFixed(0)}/s signed_webhook=${s.toFixed(0)}/s ratio=${(s / r).toFixed(3)}`,
    );
  }
  rawAgent.destroy();
  agents.destroy();
  sink.stop();
  if (failures > 0) throw new Error(`${failures} signed deliveries were not delivered`);
  console.log(`settings: deliveries=${N} concurrency=${CONCURRENCY} rounds=${ROUNDS} body_bytes=${bodies[0].length}`);
  console.log(
    `bench:notify deliveries_per_s=${median(signedRates).toFixed(0)} ratio_vs_raw_post=${median(ratios).toFixed(3)}`,
  );
}

main().catch((err) => {
  console.error(`bench:notify failed: ${(err as Error).message}`);
  process.exit(1);
});
