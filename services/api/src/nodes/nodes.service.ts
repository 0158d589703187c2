import { Injectable } from '@nestjs/common';
import { Queries, type AuditActor, type NodeRemovedV1, type NodeRemoveV1, type NodeView } from '@lockstep/contracts';
import type { NodeEntry } from '@lockstep/messaging';
import { QueryGateway } from '../http/query-gateway';
import { NodesRepository } from './nodes.repository';

/** The fleet as its agents report it (read from NATS), and removing a node (the scheduler's). */
@Injectable()
export class NodesService {
  constructor(
    private readonly repo: NodesRepository,
    private readonly queries: QueryGateway,
  ) {}

  async list(): Promise<NodeView[]> {
    return (await this.repo.list()).map(toNodeView);
  }

  /**
   * Asks the scheduler to remove the node (404 when unknown, 409 NODE_ALIVE / NODE_IN_ROLLOUT
   * when it refuses); it records the removal with `actor`.
   */
  remove(nodeId: string, force: boolean, actor: AuditActor): Promise<NodeRemovedV1> {
    const request: NodeRemoveV1 & { actor: AuditActor } = { nodeId, force, actor };
    return this.queries.ask<NodeRemovedV1>(Queries.NodeRemove, request);
  }
}

export const toNodeView = ({ record, lost }: NodeEntry): NodeView => ({
  id: record.id,
  hostname: record.hostname,
  labels: record.labels,
  components: record.components,
  agentVersion: record.agentVersion,
  state: record.state,
  seenAt: record.seenAt,
  lost,
});
