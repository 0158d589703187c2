import { Logger } from '@nestjs/common';
import { FleetLock } from '@lockstep/fleet-lock';
import type { NatsClient } from '@lockstep/messaging';
import type { SchedulerConfig } from '../scheduler.config';
import type { ClusterLockAdmin, HeldLock } from '../rollouts/cluster-lock.port';

/** The scheduler's cluster lock: a FleetLock lease on the namespace's LOCKS bucket. */
export class FleetLockAdapter implements ClusterLockAdmin {
  private readonly logger = new Logger(FleetLockAdapter.name);
  private lock?: Promise<FleetLock>;

  constructor(
    private readonly nats: NatsClient,
    private readonly config: SchedulerConfig,
  ) {}

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

  async forceRelease(key: string, by: string, reason: string): Promise<Record<string, unknown> | null> {
    const lock = await this.open();
    const removed = await lock.forceRelease(key, { by, reason });
    return removed ? { ...removed } : null;
  }
}
