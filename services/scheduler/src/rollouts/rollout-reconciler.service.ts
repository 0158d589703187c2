import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { SCHEDULER_CONFIG, type SchedulerConfig } from '../scheduler.config';
import { CLUSTER_LOCK, type ClusterLock } from './cluster-lock.port';
import { CommandWithdrawals } from './command-withdrawals.service';
import { RolloutConductor } from './rollout-conductor.service';
import { RolloutRepository } from './rollout.repository';

/**
 * Every replica runs this: when a rollout needs a conductor and this replica can take the
 * cluster lock, it conducts it. A replica that dies simply stops renewing; after the lease
 * another replica's reconciler takes the lock and resumes from Postgres.
 */
@Injectable()
export class RolloutReconciler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(RolloutReconciler.name);
  private timer?: NodeJS.Timeout;
  private conducting?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly repo: RolloutRepository,
    private readonly conductor: RolloutConductor,
    @Inject(CLUSTER_LOCK) private readonly lock: ClusterLock,
    @Inject(SCHEDULER_CONFIG) private readonly config: SchedulerConfig,
    private readonly withdrawals: CommandWithdrawals,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule(0);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.conducting;
  }

  /** Look for work now. */
  wake(): void {
    if (!this.conducting) this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    try {
      // withdrawals NATS refused earlier (an outage) are retried here, also after their rollout ended
      await this.withdrawals.run();
      if (this.conducting) return;
      const next = (await this.repo.active())[0];
      if (!next) return;
      const held = await this.lock.tryAcquire(next.id);
      if (!held) return;
      this.logger.log(`conducting rollout ${next.id} with lock token ${held.token}`);
      this.conducting = this.conductor
        .conduct(next.id, held)
        .catch((err) => this.logger.error(`rollout ${next.id} conductor failed: ${(err as Error).message}`))
        .finally(async () => {
          await held.release().catch(() => undefined);
          this.conducting = undefined;
          this.schedule(0);
        });
    } catch (err) {
      this.logger.warn(`reconcile failed: ${(err as Error).message}`);
    } finally {
      if (!this.conducting) this.schedule(this.config.SCHEDULER_RECONCILE_INTERVAL);
    }
  }
}
