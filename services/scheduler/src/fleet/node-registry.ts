import { Inject, Injectable } from '@nestjs/common';
import { NatsClient, NodeDirectory, type NodeEntry } from '@lockstep/messaging';
import { SCHEDULER_CONFIG, type SchedulerConfig } from '../scheduler.config';

/** The scheduler's view of the fleet: the NODES bucket, with lost nodes marked. */
@Injectable()
export class NodeRegistry {
  private readonly directory: NodeDirectory;

  constructor(nats: NatsClient, @Inject(SCHEDULER_CONFIG) config: SchedulerConfig) {
    this.directory = new NodeDirectory(() => nats.nc, nats.options.namespace, { lostAfterMs: config.SCHEDULER_NODE_LOST_AFTER, replicas: config.NATS_REPLICAS });
  }

  list(now?: number): Promise<NodeEntry[]> {
    return this.directory.list(now);
  }
}
