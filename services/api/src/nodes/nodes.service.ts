import { Injectable } from '@nestjs/common';
import type { NodeView } from '@lockstep/contracts';
import type { NodeEntry } from '@lockstep/messaging';
import { NodesRepository } from './nodes.repository';

/** The fleet as its agents report it. */
@Injectable()
export class NodesService {
  constructor(private readonly repo: NodesRepository) {}

  async list(): Promise<NodeView[]> {
    return (await this.repo.list()).map(toNodeView);
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
