import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { AuditedNodeRemoveV1, parseQuery, Queries, type NodeRemovedV1, type QueryReply } from '@lockstep/contracts';
import { NodeRemovalService } from './node-removal.service';

/** NATS request/reply handler for an operator's removal of a node (called by the API): parse, then delegate. */
@Controller()
export class NodesHandler {
  constructor(private readonly removal: NodeRemovalService) {}

  @MessagePattern(Queries.NodeRemove)
  async remove(@Payload() raw: unknown): Promise<QueryReply<NodeRemovedV1>> {
    const req = parseQuery(AuditedNodeRemoveV1, raw);
    return req.ok ? this.removal.remove(req.value) : req;
  }
}
