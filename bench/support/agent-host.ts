/**
 * Hosts many lightweight node agents in one process for bench:rollout: one NATS connection,
 * one `NodeAgentRuntime` per node, each with its own app directory, journal, fencing store,
 * durable command consumer and heartbeat. Only the app is fake: the service manager starts
 * and stops nothing, and the health probe answers healthy at once. Download, TUF
 * verification, unpacking, config migration and the swap of `current` are the real steps.
 *
 * Settings come as JSON in BENCH_AGENT_HOST (see {@link AgentHostSettings}). Prints one JSON
 * line `{"ready":<n>}` once every agent consumes its commands; stops all agents and exits
 * when stdin closes or on SIGTERM.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  NodeAgentRuntime,
  type AgentLogger,
  type AgentSettings,
  type HealthProbe,
  type ServiceManager,
} from '@lockstep/agent';
import { MinioObjectStore, type ObjectStore } from '@lockstep/storage';
import type { NatsConnectionSettings } from '@lockstep/config';
import { connectNats, NATS_CONNECTION_DEFAULTS } from '@lockstep/messaging';

/** What the bench tells one host process. */
export interface AgentHostSettings {
  /** NATS servers, credentials and TLS of the bench. */
  nats: NatsConnectionSettings;
  namespace: string;
  /** Node ids this process runs. */
  nodeIds: string[];
  /** Parent of the agents' app directories (one sub-directory per node). */
  root: string;
  component: string;
  /** Path of the component's pinned TUF root.json. */
  trustedRootPath: string;
  s3: { endpoint: string; accessKey: string; secretKey: string };
  heartbeatMs: number;
  /** Agents started at once (startup is not timed; this only keeps NATS calm). */
  startConcurrency: number;
}

/** A service manager with nothing to manage: the "app" starts and stops instantly. */
const noopServiceManager = (): ServiceManager => {
  let running = false;
  return {
    id: 'bench-noop',
    start: async () => void (running = true),
    restart: async () => void (running = true),
    stop: async () => void (running = false),
    status: async () => (running ? 'running' : 'stopped'),
    close: async () => void (running = false),
  };
};

const healthy: HealthProbe = async () => ({ ok: true, detail: 'HTTP 200' });

/** Routine lines are dropped; warnings and errors go to stderr with the node id. */
const quietLogger = (nodeId: string): AgentLogger => ({
  log: () => undefined,
  debug: () => undefined,
  warn: (m) => process.stderr.write(`[${nodeId}] WARN ${m}\n`),
  error: (m) => process.stderr.write(`[${nodeId}] ERROR ${m}\n`),
});

function agentSettings(host: AgentHostSettings, nodeId: string, trustedRoot: Buffer): AgentSettings {
  const dir = join(host.root, nodeId);
  mkdirSync(dir, { recursive: true });
  return {
    nodeId,
    labels: { group: 'bench' },
    hostname: nodeId,
    dir,
    component: host.component,
    serviceManager: 'command',
    serviceManagerSettings: { stopTimeoutMs: 1000, systemctl: 'systemctl', systemdUser: false },
    healthUrl: 'http://127.0.0.1:1/health',
    healthIntervalMs: 10,
    healthTimeoutMs: 1000,
    keepReleases: 3,
    minFreeDiskBytes: 1024 * 1024,
    maxArtifactBytes: 16 * 1024 * 1024,
    maxUnpackedBytes: 64 * 1024 * 1024,
    trustedRoot,
    s3: host.s3,
    downloadTimeoutMs: 60_000,
    hookTimeoutMs: 10_000,
    heartbeatMs: host.heartbeatMs,
    drainMs: 5000,
  };
}

/** Runs `task` over `items`, `limit` at a time. */
async function inBatches<T>(items: T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += limit) await Promise.all(items.slice(i, i + limit).map(task));
}

async function main(): Promise<void> {
  const host = JSON.parse(process.env.BENCH_AGENT_HOST ?? '') as AgentHostSettings;
  const trustedRoot = readFileSync(host.trustedRootPath);
  const nc = await connectNats(host.nats, { ...NATS_CONNECTION_DEFAULTS, name: `bench-agent-host-${process.pid}` });
  // One S3 client per process, as one per host would be; each agent still downloads and verifies on its own.
  const stores = new Map<string, ObjectStore>();
  const storeFor = (bucket: string): ObjectStore => {
    let store = stores.get(bucket);
    if (!store) stores.set(bucket, (store = new MinioObjectStore({ ...host.s3, bucket })));
    return store;
  };
  const runtimes = host.nodeIds.map(
    (id) =>
      new NodeAgentRuntime(
        agentSettings(host, id, trustedRoot),
        { nc, namespace: host.namespace },
        { logger: quietLogger(id), serviceManager: noopServiceManager(), healthProbe: healthy, storeFor },
      ),
  );
  await inBatches(runtimes, host.startConcurrency, (r) => r.start());
  process.stdout.write(`${JSON.stringify({ ready: runtimes.length })}\n`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await inBatches(runtimes, 25, (r) =>
      r.stop().catch((err: Error) => void process.stderr.write(`[${r.settings.nodeId}] stop failed: ${err.message}\n`)),
    );
    await nc.drain().catch(() => undefined);
    process.exit(0);
  };
  process.stdin.on('end', () => void stop());
  process.stdin.resume();
  process.on('SIGTERM', () => void stop());
}

main().catch((err) => {
  process.stderr.write(`agent host failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
