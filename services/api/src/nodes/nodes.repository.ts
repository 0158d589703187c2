import { Inject, Injectable } from '@nestjs/common';
import { NatsClient, NodeDirectory, type NodeEntry } from '@lockstep/messaging';
import { API_CONFIG, type ApiConfig } from '../api.config';
import { ApiError } from '../http/api-error';

/** Reads the NODES bucket the agents heartbeat into (the API never writes it). */
@Injectable()
export class NodesRepository {
  private readonly directory: NodeDirectory;

  constructor(
    private readonly nats: NatsClient,
    @Inject(API_CONFIG) config: ApiConfig,
  ) {
    this.directory = new NodeDirectory(() => nats.nc, nats.options.namespace, {
      lostAfterMs: config.API_NODE_LOST_AFTER,
      replicas: config.NATS_REPLICAS,
    });
  }

  /** Every node the agents registered, sorted by id, lost ones marked. */
  async list(): Promise<NodeEntry[]> {
    try {
      await this.nats.connect();
      return await this.directory.list(Date.now());
    } catch (err) {
      throw ApiError.unavailable(
        `the API cannot read the node directory (KV bucket ${this.nats.options.namespace.toUpperCase()}_NODES) from NATS (${(err as Error).message}); check that nats-server runs with JetStream and NATS_URL is right`,
        err,
      );
    }
  }
}
