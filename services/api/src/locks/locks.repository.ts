import type { LockViewV1 } from '@lockstep/contracts';
import { Injectable } from '@nestjs/common';
import { FleetLock, KvLockStore, lockBucketName } from '@lockstep/fleet-lock';
import { NatsClient } from '@lockstep/messaging';
import { jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { ApiError } from '../http/api-error';

/** A held lock as read from the bucket. */
export type LockEntry = LockViewV1;

/** Lease assumed when the bucket reports no TTL (only for the expiry estimate). */
const FALLBACK_LEASE_MS = 15_000;
const REQUEST_TIMEOUT_MS = 5_000;
const READ_ONLY_TIMINGS = { renewIntervalMs: 1, retryIntervalMs: 1, safetyMarginMs: 1, requestTimeoutMs: 1 };

/**
 * Reads the cluster locks through FleetLock's inspect, read-only: the bucket is opened, never
 * created (the scheduler creates it with the lease as its TTL), and a missing bucket means no
 * lock was ever taken. Force-releasing goes through the scheduler, which audits it.
 */
@Injectable()
export class LocksRepository {
  private lock?: FleetLock;

  constructor(private readonly nats: NatsClient) {}

  /** Every held lock; empty when none is held or the bucket does not exist yet. */
  async list(): Promise<LockEntry[]> {
    const bucket = lockBucketName(this.nats.options.namespace);
    try {
      const lock = await this.open(bucket);
      if (!lock) return [];
      return (await lock.list()).map((v) => ({
        key: v.key,
        holder: v.holder,
        rolloutId: v.rolloutId,
        since: v.since,
        renewedAt: v.renewedAt,
        token: v.token,
        expiresAt: v.expiresAt ?? null,
      }));
    } catch (err) {
      this.lock = undefined;
      if (isStreamNotFound(err)) return [];
      throw ApiError.unavailable(
        `the API cannot read the lock bucket ${bucket} from NATS (${(err as Error).message}); check that nats-server runs with JetStream and NATS_URL is right`,
        err,
      );
    }
  }

  /** The lock over the existing bucket; null (and not remembered) while the bucket does not exist. */
  private async open(bucket: string): Promise<FleetLock | null> {
    if (this.lock) return this.lock;
    await this.nats.connect();
    const kv = await new Kvm(jetstream(this.nats.nc, { timeout: REQUEST_TIMEOUT_MS })).open(bucket);
    let ttl: number;
    try {
      ttl = (await kv.status()).ttl;
    } catch (err) {
      if (isStreamNotFound(err)) return null;
      throw err;
    }
    // Read-only: this FleetLock never acquires, so renewal timings do not matter; tiny ones always validate.
    this.lock = new FleetLock(new KvLockStore(kv, REQUEST_TIMEOUT_MS), {
      ...READ_ONLY_TIMINGS,
      holder: 'api (read-only)',
      leaseMs: ttl >= 300 ? ttl : FALLBACK_LEASE_MS,
    });
    return this.lock;
  }
}

/** The bucket's stream does not exist: nobody ever took a lock in this namespace. */
function isStreamNotFound(err: unknown): boolean {
  const e = err as { name?: string; code?: number; cause?: unknown } | undefined;
  if (!e) return false;
  return (
    e.name === 'StreamNotFoundError' ||
    e.code === 10059 ||
    /stream not found/i.test(String((err as Error).message)) ||
    (e.cause !== undefined && isStreamNotFound(e.cause))
  );
}
