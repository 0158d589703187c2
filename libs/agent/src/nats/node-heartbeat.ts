import { FleetBuckets, NodeRecordV1 } from '@lockstep/contracts';
import type { JetStreamClient } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { AgentLogger } from '../support/logger';

/** Name of the namespace's node bucket, e.g. LOCKSTEP_NODES. */
export const nodesBucketName = (namespace: string): string => `${namespace.toUpperCase()}_${FleetBuckets.Nodes}`;

/**
 * Opens the KV bucket `name`, creating it (history 1) when it does not exist yet. An existing
 * bucket is used as it is (nats.js `create` looks it up first); a racing creator is tolerated.
 */
export async function openOrCreateBucket(
  js: JetStreamClient,
  name: string,
  options: { replicas?: number; history?: number } = {},
): Promise<KV> {
  const kvm = new Kvm(js);
  const opts = { history: options.history ?? 1, replicas: options.replicas ?? 1 };
  try {
    return await kvm.create(name, opts);
  } catch (err) {
    if (!/already in use|already exists/i.test((err as Error).message)) throw err;
    return kvm.create(name, opts);
  }
}

/**
 * Keeps this node's entry in the `<NS>_NODES` bucket fresh: key = node id, value =
 * NodeRecordV1 JSON with `seenAt` = now, written every heartbeat and whenever the install
 * state changes. A record whose seenAt stops moving means the node is lost.
 */
export class NodeHeartbeat {
  private kv?: KV;
  private timer?: NodeJS.Timeout;
  private beating?: Promise<void>;
  private again = false;

  constructor(
    private readonly js: JetStreamClient,
    private readonly namespace: string,
    private readonly record: () => Promise<Omit<NodeRecordV1, 'seenAt'>>,
    private readonly intervalMs: number,
    private readonly logger: AgentLogger,
    private readonly replicas = 1,
  ) {}

  /** Opens (or creates) the bucket. */
  async open(): Promise<void> {
    this.kv = await openOrCreateBucket(this.js, nodesBucketName(this.namespace), { replicas: this.replicas });
  }

  /** Writes the record now (coalescing calls made while a write is under way). */
  beat(): Promise<void> {
    if (this.beating) {
      this.again = true;
      return this.beating;
    }
    this.beating = (async () => {
      do {
        this.again = false;
        try {
          const record = NodeRecordV1.parse({ ...(await this.record()), seenAt: new Date().toISOString() });
          await this.kv!.put(record.id, JSON.stringify(record));
        } catch (err) {
          this.logger.warn(`heartbeat not written: ${(err as Error).message}`);
        }
      } while (this.again);
    })().finally(() => (this.beating = undefined));
    return this.beating;
  }

  /** Starts the periodic heartbeat. */
  start(): void {
    this.timer = setInterval(() => void this.beat(), this.intervalMs);
  }

  /** Stops the heartbeat (the last record stays until the conductor sees it as stale). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.beating;
  }
}
