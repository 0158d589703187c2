import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { CLOCK, type Clock } from '../clock/clock.port';
import { SCHEDULER_CONFIG, type SchedulerConfig } from '../scheduler.config';
import { FleetView } from './fleet-view.service';
import { NodesRepository, type LivenessChanges } from './nodes.repository';

/**
 * Every replica looks at the fleet every SCHEDULER_RECONCILE_INTERVAL and records each node that
 * went lost or came back, announcing it (`node.lost`, `node.recovered`); the repository makes
 * sure one replica announces each transition, once.
 */
@Injectable()
export class NodeLivenessWatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(NodeLivenessWatcher.name);
  private readonly stop = new AbortController();
  private loop?: Promise<void>;

  constructor(
    private readonly fleet: FleetView,
    private readonly repo: NodesRepository,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(SCHEDULER_CONFIG) private readonly config: SchedulerConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.loop = this.run();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stop.abort();
    await this.loop;
  }

  /** One look at the fleet: records (and announces) what changed since the last. */
  async check(): Promise<LivenessChanges> {
    const now = this.clock.now();
    const changes = await this.repo.observe(await this.fleet.list(now), new Date(now));
    for (const id of changes.lost) this.logger.warn(`node ${id} stopped heart-beating: lost`);
    for (const id of changes.recovered) this.logger.log(`node ${id} heart-beats again`);
    return changes;
  }

  private async run(): Promise<void> {
    while (!this.stop.signal.aborted) {
      try {
        await this.check();
      } catch (err) {
        this.logger.warn(`cannot check which nodes are lost (${(err as Error).message}); trying again`);
      }
      await this.clock.sleep(this.config.SCHEDULER_RECONCILE_INTERVAL, this.stop.signal);
    }
  }
}
