import { jetstream, JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { Kvm, type KV, type KvEntry } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { lockBucketName } from './fleet-lock';
import { decodeHolderInfo } from './lock-entry';

/** Who holds a lock now, as an agent needs it. */
export interface LiveHolder {
  /** Fencing token of the holder's lease. */
  token: number;
  /** Rollout the holder took the lock for. */
  rolloutId: string;
}

/**
 * Reads a lock's live holder straight from the lock bucket, read-only. An agent asks before
 * it acts on a command: while a newer holder holds the lock, an older holder's command is
 * refused even on a node the newer one has sent nothing yet (fencing by the tokens an agent
 * has seen leaves that window open).
 */
export class LiveLockReader {
  private kv?: KV;

  constructor(
    private readonly nc: NatsConnection,
    private readonly namespace: string,
    private readonly timeoutMs = 5000,
  ) {}

  /**
   * The holder of `key` now, or undefined when nobody holds it (or the bucket does not exist
   * yet: no scheduler has ever taken a lock). An entry that is no FleetLock holder record is
   * not trusted. Throws when NATS cannot be read.
   */
  async holder(key: string): Promise<LiveHolder | undefined> {
    // binding reads nothing; a bucket that does not exist shows when the entry is read
    this.kv ??= await new Kvm(jetstream(this.nc, { timeout: this.timeoutMs })).open(lockBucketName(this.namespace), {
      allow_direct: false,
    });
    let entry: KvEntry | null;
    try {
      entry = await this.kv.get(key);
    } catch (err) {
      if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) return undefined;
      throw err;
    }
    if (!entry || entry.operation !== 'PUT') return undefined;
    const info = decodeHolderInfo(entry.string());
    if (!info) return undefined;
    // The token is the revision of the acquiring write, so never above the entry's own revision:
    // a value claiming more is not believed (it would fence out every real holder).
    return { token: Math.min(info.token ?? entry.revision, entry.revision), rolloutId: info.rolloutId };
  }
}
