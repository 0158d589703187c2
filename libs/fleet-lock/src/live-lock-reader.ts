import { jetstream, JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { Kvm, type KV, type KvEntry } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { lockBucketName } from './fleet-lock';
import { toLockView } from './lock-entry';
import { fromKvEntry } from './lock-store';

/**
 * Reads the fencing token of a lock's live holder straight from the lock bucket, read-only.
 * An agent asks before it acts on a command: when a newer holder has taken the lock, the
 * agent refuses the older holder's command even if the newer one has sent it nothing yet
 * (fencing by the tokens an agent has seen alone leaves that window open).
 */
export class LiveLockReader {
  private kv?: KV;

  constructor(
    private readonly nc: NatsConnection,
    private readonly namespace: string,
    private readonly timeoutMs = 5000,
  ) {}

  /**
   * The token of whoever holds `key` now, or undefined when nobody does (or the bucket does
   * not exist yet: no scheduler has ever taken a lock). Throws when NATS cannot be read.
   */
  async token(key: string): Promise<number | undefined> {
    // binding reads nothing; a bucket that does not exist shows when the entry is read
    this.kv ??= await new Kvm(jetstream(this.nc, { timeout: this.timeoutMs })).open(lockBucketName(this.namespace), { allow_direct: false });
    let entry: KvEntry | null;
    try {
      entry = await this.kv.get(key);
    } catch (err) {
      if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) return undefined;
      throw err;
    }
    // the lease length only feeds the view's expiry estimate, which the token does not need
    return toLockView(entry ? fromKvEntry(entry) : undefined, 0)?.token;
  }
}
