import { FleetBuckets, NodeRecordV1 } from '@lockstep/contracts';
import type { NatsConnection } from '@nats-io/nats-core';
import { Kvm, type KV } from '@nats-io/kv';

/** A node record and whether its heartbeat is too old for it to count as alive. */
export interface NodeEntry {
  record: NodeRecordV1;
  lost: boolean;
}

/**
 * The NODES bucket agents heartbeat into, read-only for everyone else. A node whose
 * `seenAt` is older than `lostAfterMs` is lost and never counted healthy.
 */
export class NodeDirectory {
  private kv?: Promise<KV>;

  constructor(
    private readonly nc: () => NatsConnection,
    private readonly namespace: string,
    private readonly options: { lostAfterMs: number; replicas?: number },
  ) {}

  private bucket(): Promise<KV> {
    this.kv ??= new Kvm(this.nc()).create(`${this.namespace.toUpperCase()}_${FleetBuckets.Nodes}`, { history: 1, replicas: this.options.replicas ?? 1 });
    return this.kv;
  }

  /**
   * Every known node, sorted by id. Keys are listed while agents keep rewriting them, so a
   * key can be listed twice: each node appears once. Records are fetched concurrently.
   */
  async list(now = Date.now()): Promise<NodeEntry[]> {
    const kv = await this.bucket();
    const keys = new Set<string>();
    for await (const key of await kv.keys()) keys.add(key);
    const entries = await Promise.all([...keys].map((key) => kv.get(key)));
    const out: NodeEntry[] = [];
    for (const e of entries) {
      if (!e || e.operation !== 'PUT') continue;
      const parsed = NodeRecordV1.safeParse(e.json());
      if (!parsed.success) continue;
      out.push({ record: parsed.data, lost: now - Date.parse(parsed.data.seenAt) > this.options.lostAfterMs });
    }
    return out.sort((a, b) => a.record.id.localeCompare(b.record.id));
  }
}
