/**
 * FleetLock: the cluster lock of Lockstep, a lease on one JetStream KV entry.
 *
 * Bucket `<NAMESPACE>_LOCKS` (stream `KV_<NAMESPACE>_LOCKS`): `history: 1`, `ttl` = the
 * lease (stream max_age), replicas 1 or 3, direct get off so reads go to the stream
 * leader. One key per lock (default `cluster`). Value: HolderInfoV1 JSON.
 *
 * - Acquire: `kv.create(key)` — stored only when the key has no live value. The revision
 *   of that write is the FENCING TOKEN of the lease.
 * - Renew every lease/3: `kv.update(key, value, lastRevision)` (compare-and-swap). Each
 *   renewal rewrites the entry, so the server's TTL restarts from it.
 * - Release: `kv.delete(key, { previousSeq: lastRevision })` — only if still ours.
 * - Force-release (operator): delete whoever holds it, CAS on the revision just read, and
 *   return the removed entry for the audit log.
 *
 * TTL expiry (verified on nats-server 2.9.10): the server drops an entry `ttl` after its
 * last write (observed within ~10 ms of the TTL). The subject is then empty, a CAS on the
 * old revision fails with "wrong last sequence: 0", and `kv.create` succeeds for the next
 * holder. After a delete, the key holds a DEL marker; nats.js `create` then retries
 * expecting the marker's revision, so create succeeds there too. Delete markers expire
 * with the same TTL.
 *
 * Why the revision is a valid fencing token: a revision is the stream sequence of a write,
 * and the stream sequence of a JetStream stream only grows — across expiry (messages
 * leave, last_seq stays; verified across a SIGKILL and restart of a single 2.9.10 server)
 * and across stream-leader changes in a cluster (sequences are assigned through the
 * stream's raft log). A new holder's create is stored after every write of every earlier
 * holder, so its revision is strictly higher than any earlier holder's token. The token
 * is the acquiring revision, not the latest renewal's: it stays the same for the whole
 * lease, so an agent never rejects a redelivered command of the current holder. The one
 * way to reset sequences is deleting the bucket (stream): never do that while agents
 * remember tokens — they would (safely) reject every command until reset.
 *
 * Clock assumptions: the holder trusts its lease for lease − margin after SENDING its last
 * confirmed write, by its own wall AND monotonic clock (whichever says more time passed),
 * so no synchronisation between holder and server clocks is needed, only that they run at
 * about the same rate. The server expires by its own wall clock from the write's
 * timestamp, so a server clock stepping forward by more than the margin (or, in a cluster,
 * a new stream leader whose clock is ahead) could end a lease early: keep NATS servers on
 * NTP. Fencing covers what remains: an agent that has seen the newer token rejects the
 * old holder.
 */
import { randomUUID } from 'node:crypto';
import { FleetBuckets } from '@lockstep/contracts';
import { jetstream } from '@nats-io/jetstream';
import { Kvm, type KvStatus } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { FleetLease, type LeaseLostListener } from './fleet-lease';
import { resolveLeaseTiming, type LeaseTiming, type LeaseTimingOptions } from './lease-timing';
import { systemLockClock, type LockClock, type LockInstant } from './lock-clock';
import { encodeHolderInfo, toLockView, type LockView, type StoredLockEntry } from './lock-entry';
import { FleetLockUnavailableError, LockChangedError } from './lock-errors';
import { KvLockStore, type LockStore } from './lock-store';

/** Settings of a FleetLock. */
export interface FleetLockOptions extends LeaseTimingOptions {
  /** This replica's id, written as the holder. */
  holder: string;
  /** Lease (= bucket TTL) in ms; default 15000. An existing bucket's TTL wins over this. */
  leaseMs?: number;
  /** Bucket replicas: 1 on a single server, 3 in a cluster (default 1). Used when creating the bucket. */
  replicas?: number;
  /** Key used when tryAcquire is not given one (default `cluster`). */
  defaultKey?: string;
  clock?: LockClock;
  /** Told when the bucket's settings differ from these options. */
  logger?: { warn(message: string): void };
  /**
   * false: never create the bucket, only use it (a node agent's NATS user may not create
   * streams); a missing bucket is a FleetLockUnavailableError with `missing` set. Default true.
   */
  create?: boolean;
}

/** What `acquire` produced: the lease, or who holds the lock. */
export type AcquireResult = { acquired: true; lease: FleetLease } | { acquired: false; heldBy: LockView };

/** Options of one acquisition. */
export interface AcquireOptions {
  /** Lock key (default: the lock's defaultKey). */
  key?: string;
  /** Called synchronously the moment the lease is found lost; registered before the lease is returned. */
  onLost?: LeaseLostListener;
}

/** An operator's force-release request. */
export interface ForceReleaseRequest {
  /** Only remove the lease with this fencing token (stable while the lease lives) — what the operator saw. */
  expectedToken?: number;
  /** Only remove this exact entry revision (changes at every renewal, so it goes stale within lease/3). */
  expectedRevision?: number;
  /** Operator identity, for the audit log. */
  by: string;
  reason: string;
}

/** What a force-release removed, for the audit log. (A type alias, assignable to Record<string, unknown>.) */
export type ForcedRelease = {
  key: string;
  /** The lease as it was when removed. */
  removed: LockView;
  by: string;
  reason: string;
  /** When it was removed (RFC 3339). */
  at: string;
};

/** Name of the lock bucket of a namespace. */
export const lockBucketName = (namespace: string): string => `${namespace.toUpperCase()}_${FleetBuckets.Locks}`;

/** The cluster lock: acquire leases, show and force-release holders. */
export class FleetLock {
  /** Lease (= bucket TTL) in force. */
  readonly leaseMs: number;
  readonly timing: LeaseTiming;
  private readonly clock: LockClock;

  constructor(
    private readonly store: LockStore,
    private readonly options: FleetLockOptions & { leaseMs: number },
  ) {
    this.leaseMs = options.leaseMs;
    this.timing = resolveLeaseTiming(options.leaseMs, options);
    this.clock = options.clock ?? systemLockClock;
  }

  /**
   * Opens (creating if needed) the namespace's lock bucket on a connection. When the
   * bucket already exists its TTL is the lease — a holder must never trust a lease
   * longer than the server keeps the entry.
   */
  static async open(nc: NatsConnection, namespace: string, options: FleetLockOptions): Promise<FleetLock> {
    const requested = options.leaseMs ?? 15_000;
    resolveLeaseTiming(requested, options);
    const bucket = lockBucketName(namespace);
    let status: KvStatus;
    try {
      // Creating a replicated stream takes longer than a lock operation may: create with a
      // generous timeout, then bind a client whose requests time out as the lease needs.
      const kvm = new Kvm(jetstream(nc, { timeout: 10_000 }));
      status = await (
        options.create === false
          ? await kvm.open(bucket, { allow_direct: false })
          : await kvm.create(bucket, {
              ttl: requested,
              history: 1,
              replicas: options.replicas ?? 1,
              allow_direct: false,
              description: 'Lockstep cluster locks (lease = TTL)',
            })
      ).status();
    } catch (err) {
      if (options.create === false && /not found/i.test((err as Error).message))
        throw new FleetLockUnavailableError(
          `lock bucket ${bucket} does not exist yet: the control plane (the scheduler) creates it when it starts with the same NATS_NAMESPACE`,
          { cause: err, missing: true },
        );
      throw new FleetLockUnavailableError(
        `cannot open lock bucket ${bucket}: ${(err as Error).message}. Check that NATS runs with JetStream (and, for replicas 3, that the cluster has 3 servers).`,
        { cause: err },
      );
    }
    const leaseMs = status.ttl || requested;
    if (leaseMs !== requested)
      options.logger?.warn(
        `lock bucket ${bucket} exists with a ${leaseMs}ms TTL; using it as the lease instead of the configured ${requested}ms`,
      );
    if (options.replicas && status.replicas !== options.replicas)
      options.logger?.warn(
        `lock bucket ${bucket} exists with ${status.replicas} replica(s), not the configured ${options.replicas}`,
      );
    const timing = resolveLeaseTiming(leaseMs, options);
    const kv = await new Kvm(jetstream(nc, { timeout: timing.requestTimeoutMs })).open(bucket, { allow_direct: false });
    return new FleetLock(new KvLockStore(kv, timing.requestTimeoutMs), { ...options, leaseMs });
  }

  /** Tries to take the lock for a rollout; tells who holds it when it is taken. */
  async acquire(rolloutId: string, opts: AcquireOptions = {}): Promise<AcquireResult> {
    const key = opts.key ?? this.options.defaultKey ?? 'cluster';
    const leaseId = randomUUID();
    let lastError: Error | undefined;
    let firstSentAt: LockInstant | undefined;
    for (let attempt = 0; attempt < 3; attempt++) {
      let sentAt = this.clock.now();
      firstSentAt ??= sentAt;
      let since = new Date(sentAt.wall).toISOString();
      const result = await this.store.create(
        key,
        encodeHolderInfo({ holder: this.options.holder, rolloutId, since, renewedAt: since, leaseId }),
      );
      let revision: number | undefined;
      if (result.status === 'ok') {
        revision = result.revision;
      } else {
        lastError = result.error;
        // Conflict: someone holds it (or held it a moment ago). Unknown: our create may
        // have been stored, now or later; only reading the entry back tells.
        const entry = await this.read(key);
        const view = toLockView(entry, this.leaseMs);
        if (view?.leaseId === leaseId) {
          // One of our unconfirmed creates was stored: it was sent after the first attempt.
          revision = entry!.revision;
          sentAt = firstSentAt;
          since = view.since;
        } else if (view) {
          return { acquired: false, heldBy: view };
        } else {
          continue;
        }
      }
      const lease = new FleetLease(
        { store: this.store, clock: this.clock, timing: this.timing },
        { key, rolloutId, holder: this.options.holder, leaseId, since, revision, sentAt },
        opts.onLost,
      );
      if (!lease.isHeld()) {
        throw new FleetLockUnavailableError(
          `acquiring lock ${key} took longer than the lease; NATS is too slow or the process was paused. Try again.`,
        );
      }
      return { acquired: true, lease };
    }
    throw new FleetLockUnavailableError(
      `could not acquire lock ${key}: ${lastError?.message ?? 'the entry kept changing'}. Check NATS and try again.`,
      { cause: lastError },
    );
  }

  /** The lease, or undefined when someone else holds the lock (use `acquire` to learn who). */
  async tryAcquire(rolloutId: string, opts: AcquireOptions = {}): Promise<FleetLease | undefined> {
    const r = await this.acquire(rolloutId, opts);
    return r.acquired ? r.lease : undefined;
  }

  /** Who holds a lock, or null when nobody does. */
  async inspect(key: string = this.options.defaultKey ?? 'cluster'): Promise<LockView | null> {
    return toLockView(await this.read(key), this.leaseMs);
  }

  /** Every held lock of the bucket. */
  async list(): Promise<LockView[]> {
    let keys: string[];
    try {
      keys = await this.store.keys();
    } catch (err) {
      throw new FleetLockUnavailableError(`cannot list locks: ${(err as Error).message}`, { cause: err });
    }
    const views = await Promise.all(keys.map((k) => this.inspect(k)));
    return views.filter((v): v is LockView => v !== null);
  }

  /**
   * Operator action: removes the entry whoever holds it and returns what was removed (null
   * when nobody held it). With an expectation, throws LockChangedError when the entry is
   * not the one expected. The old holder learns of it at its next renewal (REMOVED).
   */
  async forceRelease(key: string, request: ForceReleaseRequest): Promise<ForcedRelease | null> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const view = await this.inspect(key);
      if (!view) {
        if (request.expectedToken !== undefined || request.expectedRevision !== undefined)
          throw new LockChangedError(`lock ${key} is not held any more; nothing was removed`, null);
        return null;
      }
      if (
        (request.expectedToken !== undefined && view.token !== request.expectedToken) ||
        (request.expectedRevision !== undefined && view.revision !== request.expectedRevision)
      ) {
        throw new LockChangedError(
          `lock ${key} is now held by ${view.holder} with token ${view.token} (revision ${view.revision}), not what was expected; look again before force-releasing`,
          view,
        );
      }
      const result = await this.store.remove(key, view.revision);
      if (result.status === 'ok')
        return {
          key,
          removed: view,
          by: request.by,
          reason: request.reason,
          at: new Date(this.clock.now().wall).toISOString(),
        };
      if (result.status === 'unknown')
        throw new FleetLockUnavailableError(
          `NATS did not confirm the force-release of lock ${key}: ${result.error.message}. Run it again.`,
          { cause: result.error },
        );
      // Conflict: renewed (or replaced) between our read and delete; read again.
    }
    throw new FleetLockUnavailableError(`lock ${key} kept changing during the force-release; run it again`);
  }

  private async read(key: string): Promise<StoredLockEntry | undefined> {
    try {
      return await this.store.get(key);
    } catch (err) {
      throw new FleetLockUnavailableError(`cannot read lock ${key}: ${(err as Error).message}. Check NATS.`, {
        cause: err,
      });
    }
  }
}
