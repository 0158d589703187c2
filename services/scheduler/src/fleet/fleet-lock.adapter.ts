import { Logger } from '@nestjs/common';
import { FleetLock, LockChangedError, type LockView } from '@lockstep/fleet-lock';
import type { NatsClient } from '@lockstep/messaging';
import type { SchedulerConfig } from '../scheduler.config';
import {
  LockHolderChangedError,
  type ClusterLockAdmin,
  type HeldLock,
  type LockHolder,
} from '../rollouts/cluster-lock.port';

/** The scheduler's cluster lock: a FleetLock lease on the namespace's LOCKS bucket. */
export class FleetLockAdapter implements ClusterLockAdmin {
  private readonly logger = new Logger(FleetLockAdapter.name);
  private lock?: Promise<FleetLock>;

  constructor(
    private readonly nats: NatsClient,
    private readonly config: SchedulerConfig,
  ) {}

  /**
   * Opens the lock at start, which creates the namespace's lock bucket: node agents read it
   * (and take backup-repository keys in it) but may not create it.
   */
  async onApplicationBootstrap(): Promise<void> {
    await this.open().catch((err: Error) => this.logger.warn(`lock bucket not opened at start: ${err.message}`));
  }

  private open(): Promise<FleetLock> {
    this.lock ??= this.nats
      .connect()
      .then(() =>
        FleetLock.open(this.nats.nc, this.config.NATS_NAMESPACE, {
          holder: this.config.SCHEDULER_REPLICA_ID,
          leaseMs: this.config.SCHEDULER_LOCK_LEASE,
          replicas: this.config.NATS_REPLICAS,
          logger: this.logger,
        }),
      )
      .catch((err) => {
        this.lock = undefined;
        throw err;
      });
    return this.lock;
  }

  async tryAcquire(rolloutId: string): Promise<HeldLock | undefined> {
    const lock = await this.open();
    return lock.tryAcquire(rolloutId, { onLost: (lost) => this.logger.warn(`cluster lock lost: ${lost.message}`) });
  }

  async holder(key: string): Promise<LockHolder | null> {
    const view = await (await this.open()).inspect(key);
    return view ? toHolder(view) : null;
  }

  async releaseHolder(key: string, token: number): Promise<LockHolder> {
    const lock = await this.open();
    try {
      const released = await lock.forceRelease(key, { expectedToken: token, by: 'api', reason: 'operator release' });
      if (!released) throw new LockHolderChangedError(`lock ${key} is free; nothing was removed`, null);
      return toHolder(released.removed);
    } catch (err) {
      if (!(err instanceof LockChangedError)) throw err;
      const now = err.current as LockView | null;
      throw new LockHolderChangedError(
        now
          ? `lock ${key} is held by ${now.holder} under token ${now.token}, not ${token}: that holder is not the one you named and keeps the lock. Look again with \`lockstep locks\``
          : `lock ${key} is free now (the holder with token ${token} is gone); nothing was removed`,
        now ? toHolder(now) : null,
        { cause: err },
      );
    }
  }
}

const toHolder = (v: LockView): LockHolder => ({ holder: v.holder, rolloutId: v.rolloutId || null, token: v.token });
