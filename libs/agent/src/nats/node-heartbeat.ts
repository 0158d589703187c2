import { NodeRecordV1 } from '@lockstep/contracts';
import { BucketMissingError, openNodesBucket } from '@lockstep/messaging';
import type { JetStreamClient } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { AgentLogger } from '../support/logger';

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
  ) {}

  /**
   * Opens the bucket, waiting for the control plane to create it (a node's NATS user may
   * not create streams; only its own key in the bucket is writable).
   */
  async open(): Promise<void> {
    let said = false;
    for (;;) {
      try {
        this.kv = await openNodesBucket(this.js, this.namespace, { create: false });
        return;
      } catch (err) {
        if (!(err instanceof BucketMissingError)) throw err;
        if (!said) this.logger.warn(`${err.message}; waiting for it`);
        said = true;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
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
