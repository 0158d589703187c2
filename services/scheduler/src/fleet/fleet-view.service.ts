import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { NatsClient, NodeDirectory, type NodeEntry } from '@lockstep/messaging';
import { SCHEDULER_CONFIG, type SchedulerConfig } from '../scheduler.config';

/**
 * The scheduler's view of the fleet: the NODES bucket, with lost nodes marked. It watches the
 * bucket from startup, so planning a rollout reads the fleet from memory instead of listing
 * the bucket and fetching every node's record on each create.
 */
@Injectable()
export class FleetView implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(FleetView.name);
  private readonly directory: NodeDirectory;

  constructor(
    private readonly nats: NatsClient,
    @Inject(SCHEDULER_CONFIG) config: SchedulerConfig,
  ) {
    this.directory = new NodeDirectory(() => nats.nc, nats.options.namespace, {
      lostAfterMs: config.SCHEDULER_NODE_LOST_AFTER,
      replicas: config.NATS_REPLICAS,
    });
  }

  onApplicationBootstrap(): void {
    // In the background and not fatal: until the watch runs, list() reads the bucket (and starts the watch again).
    void this.nats
      .connect()
      .then(() => this.directory.watch())
      .catch((err: Error) =>
        this.logger.warn(`cannot watch the node bucket yet (${err.message}); reading it per rollout until it works`),
      );
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.directory.close();
  }

  list(now?: number): Promise<NodeEntry[]> {
    return this.directory.list(now);
  }

  /** One node read from the bucket itself, with its record's revision (undefined: no record). */
  find(nodeId: string, now?: number): Promise<(NodeEntry & { revision: number }) | undefined> {
    return this.directory.find(nodeId, now);
  }

  /** Deletes a node's record if it is still at `revision` (NodeRecordChangedError: it heart-beat since). */
  remove(nodeId: string, revision: number): Promise<void> {
    return this.directory.remove(nodeId, revision);
  }
}
