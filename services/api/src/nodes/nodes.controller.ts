import { Controller, Get } from '@nestjs/common';
import type { ListOf, NodeView } from '@lockstep/contracts';
import { NodesService } from './nodes.service';

/** `/v1/nodes`: the nodes whose agents registered, with what they run and whether they are alive. */
@Controller('v1/nodes')
export class NodesController {
  constructor(private readonly nodes: NodesService) {}

  @Get()
  async list(): Promise<ListOf<NodeView>> {
    return { items: await this.nodes.list() };
  }
}
