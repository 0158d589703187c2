import { Controller, Delete, Get, Param, Query } from '@nestjs/common';
import {
  NodeIdParam,
  RemoveNodeQuery,
  type AuditActor,
  type ListOf,
  type NodeRemovedV1,
  type NodeView,
} from '@lockstep/contracts';
import { Actor } from '../http/request-actor';
import { ZodPipe } from '../http/zod-validation.pipe';
import { NodesService } from './nodes.service';

/** `/v1/nodes`: the nodes whose agents registered, with what they run and whether they are alive; removing a dead one. */
@Controller('v1/nodes')
export class NodesController {
  constructor(private readonly nodes: NodesService) {}

  @Get()
  async list(): Promise<ListOf<NodeView>> {
    return { items: await this.nodes.list() };
  }

  /** Removes a node's record and command consumer (the scheduler does it and records it with the request's actor). */
  @Delete(':id')
  remove(
    @Param('id', new ZodPipe(NodeIdParam, 'path')) id: string,
    @Query(new ZodPipe(RemoveNodeQuery, 'query')) query: RemoveNodeQuery,
    @Actor() actor: AuditActor,
  ): Promise<NodeRemovedV1> {
    return this.nodes.remove(id, query.force === 'true', actor);
  }
}
