import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { CLOCK, type Clock } from '../clock/clock.port';
import { SCHEDULER_CONFIG, type SchedulerConfig } from '../scheduler.config';
import { ComponentVersions } from './component-versions.service';
import { FleetView } from './fleet-view.service';
import { NodesRepository, type LivenessChanges } from './nodes.repository';

/**
 * Every replica looks at the fleet every SCHEDULER_RECONCILE_INTERVAL and records each node that
 * went lost or came back, announcing it (`node.lost`, `node.recovered`); the repository makes
 * sure one replica announces each transition, once. The same look lets each component's current
 * version follow what its live nodes run (ComponentVersions; one replica moves each change).
 */
@Injectable()
export class NodeLivenessWatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(NodeLivenessWatcher.name);
  private readonly stop = new AbortController();
  private loop?: Promise<void>;

  constructor(
    private readonly fleet: FleetView,
    private readonly repo: NodesRepository,
    private readonly versions: ComponentVersions,
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
    const entries = await this.fleet.list(now);
    const changes = await this.repo.observe(entries, new Date(now));
    for (const id of changes.lost) this.logger.warn(`node ${id} stopped heart-beating: lost`);
    for (const id of changes.recovered) this.logger.log(`node ${id} heart-beats again`);
    await this.versions
      .followFleet(entries)
      .catch((err: Error) =>
        this.logger.warn(`cannot bring components' current versions up to date (${err.message}); trying again`),
      );
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
