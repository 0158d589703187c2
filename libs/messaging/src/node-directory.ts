import { FleetBuckets, NodeRecordV1 } from '@lockstep/contracts';
import type { NatsConnection, QueuedIterator } from '@nats-io/nats-core';
import type { JetStreamClient } from '@nats-io/jetstream';
import { Kvm, type KV, type KvEntry, type KvWatchEntry } from '@nats-io/kv';

/** Name of the namespace's node bucket, e.g. LOCKSTEP_NODES. */
export const nodesBucketName = (namespace: string): string => `${namespace.toUpperCase()}_${FleetBuckets.Nodes}`;

/** The namespace's node bucket does not exist: the control plane has not created it yet. */
export class BucketMissingError extends Error {
  override name = 'BucketMissingError';
}

/**
 * Opens the namespace's NODES bucket. `create` (control-plane services): creates it (history
 * 1) when missing, tolerating a racing creator. Otherwise (node agents, whose NATS user may
 * not create streams) binds to it and checks that it exists (BucketMissingError when not).
 */
export async function openNodesBucket(
  nc: NatsConnection | JetStreamClient,
  namespace: string,
  options: { replicas?: number; create: boolean },
): Promise<KV> {
  const kvm = new Kvm(nc);
  const name = nodesBucketName(namespace);
  if (!options.create) {
    const kv = await kvm.open(name);
    try {
      await kv.status();
    } catch (err) {
      if (!/not found/i.test((err as Error).message)) throw err;
      throw new BucketMissingError(
        `the node bucket ${name} does not exist yet: the control plane (scheduler or API) creates it when it starts with the same NATS_NAMESPACE`,
        { cause: err },
      );
    }
    return kv;
  }
  const opts = { history: 1, replicas: options.replicas ?? 1 };
  try {
    return await kvm.create(name, opts);
  } catch (err) {
    if (!/already in use|already exists/i.test((err as Error).message)) throw err;
    return kvm.create(name, opts);
  }
}

/** A node's record changed while it was being removed (it heart-beat again): nothing was removed. */
export class NodeRecordChangedError extends Error {
  override name = 'NodeRecordChangedError';
}

/** A node record and whether its heartbeat is too old for it to count as alive. */
export interface NodeEntry {
  record: NodeRecordV1;
  lost: boolean;
}

/** A live copy of the bucket, fed by a KV watch. */
interface WatchedBucket {
  /** Latest PUT per key (a deleted key is removed). */
  entries: Map<string, KvEntry>;
  /** True once the watch delivered every entry the bucket held when it started. */
  ready: boolean;
  iterator: QueuedIterator<KvWatchEntry>;
}

/**
 * The NODES bucket agents heartbeat into, read-only for everyone else. A node whose
 * `seenAt` is older than `lostAfterMs` is lost and never counted healthy.
 *
 * By default every `list()` reads the bucket. After `watch()`, a KV watch keeps a copy of it
 * in memory (agents rewrite their entry every heartbeat and install step, and the watch
 * receives each write within milliseconds), and `list()` answers from that copy — no
 * key listing and one get per node on every call. Until the watch has caught up, or after
 * it ended, `list()` reads the bucket as before.
 */
export class NodeDirectory {
  private kv?: Promise<KV>;
  private watching?: Promise<void>;
  private watched?: WatchedBucket;
  /** watch() was called: list() restarts a watch that ended. */
  private wanted = false;
  private closed = false;

  constructor(
    private readonly nc: () => NatsConnection,
    private readonly namespace: string,
    private readonly options: { lostAfterMs: number; replicas?: number },
  ) {}

  private bucket(): Promise<KV> {
    this.kv ??= openNodesBucket(this.nc(), this.namespace, { replicas: this.options.replicas, create: true }).catch(
      (err) => {
        this.kv = undefined;
        throw err;
      },
    );
    return this.kv;
  }

  /**
   * Starts keeping the live copy (resolves once the watch is set up, not once it caught up).
   * Calling it again while a watch runs does nothing; a watch that ended is started again by
   * the next `list()`.
   */
  watch(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.wanted = true;
    this.watching ??= this.startWatch().catch((err) => {
      this.watching = undefined;
      throw err;
    });
    return this.watching;
  }

  /** Stops the watch (if any). */
  async close(): Promise<void> {
    this.closed = true;
    const w = this.watched;
    this.watched = undefined;
    w?.iterator.stop();
    await this.watching?.catch(() => undefined);
  }

  private async startWatch(): Promise<void> {
    const kv = await this.bucket();
    const iterator = await kv.watch();
    const state: WatchedBucket = { entries: new Map(), ready: false, iterator };
    this.watched = state;
    void (async () => {
      try {
        for await (const e of iterator) {
          if (e.operation === 'PUT') state.entries.set(e.key, e);
          else state.entries.delete(e.key);
          if (e.isUpdate || e.delta === 0) state.ready = true;
        }
      } catch {
        // The watch ended (connection closed, consumer gone): list() reads the bucket and restarts it.
      } finally {
        if (this.watched === state) {
          this.watched = undefined;
          this.watching = undefined;
        }
      }
    })();
  }

  /**
   * Every known node, sorted by id; each node appears once. From the live copy when a watch
   * has caught up, else read from the bucket (records fetched concurrently).
   */
  async list(now = Date.now()): Promise<NodeEntry[]> {
    const live = this.watched?.ready ? [...this.watched.entries.values()] : undefined;
    if (!live && this.wanted) void this.watch().catch(() => undefined);
    const entries = live ?? (await this.read());
    const out: NodeEntry[] = [];
    for (const e of entries) {
      const entry = this.entryOf(e, now);
      if (entry) out.push(entry);
    }
    return out.sort((a, b) => a.record.id.localeCompare(b.record.id));
  }

  /**
   * One node, read from the bucket itself (not the live copy, which may lag a heartbeat), with the
   * revision of its record; undefined when the bucket holds no valid record for it.
   */
  async find(nodeId: string, now = Date.now()): Promise<(NodeEntry & { revision: number }) | undefined> {
    const e = await (await this.bucket()).get(nodeId);
    const entry = e ? this.entryOf(e, now) : undefined;
    return entry && e ? { ...entry, revision: e.revision } : undefined;
  }

  /**
   * Deletes a node's record if it is still the one at `revision`: a delete marker, so every watcher
   * drops the node at once. A heartbeat written since makes it NodeRecordChangedError, and the
   * record stays (the node is alive after all).
   */
  async remove(nodeId: string, revision: number): Promise<void> {
    try {
      await (await this.bucket()).delete(nodeId, { previousSeq: revision });
    } catch (err) {
      if (!/wrong last sequence/i.test((err as Error).message)) throw err;
      throw new NodeRecordChangedError(
        `node ${nodeId} wrote its record again (a heartbeat) while it was being removed: it is alive; nothing was removed`,
        { cause: err },
      );
    }
  }

  private entryOf(e: KvEntry | null, now: number): NodeEntry | undefined {
    if (!e || e.operation !== 'PUT') return undefined;
    const parsed = NodeRecordV1.safeParse(e.json());
    if (!parsed.success) return undefined;
    return { record: parsed.data, lost: now - Date.parse(parsed.data.seenAt) > this.options.lostAfterMs };
  }

  /** Reads every entry. Keys are listed while agents keep rewriting them, so a key can be listed twice: it is read once. */
  private async read(): Promise<Array<KvEntry | null>> {
    const kv = await this.bucket();
    const keys = new Set<string>();
    for await (const key of await kv.keys()) keys.add(key);
    return Promise.all([...keys].map((key) => kv.get(key)));
  }
}
