import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { parseQuery, Queries, UpdatesQueryV1, type QueryReply, type UpdatesReplyV1 } from '@lockstep/contracts';
import { AutomaticUpdates } from './automatic-updates.service';

/** NATS request/reply handler for `lockstep updates` (asked by the API): parse, then delegate. */
@Controller()
export class UpdatesHandler {
  constructor(private readonly updates: AutomaticUpdates) {}

  @MessagePattern(Queries.Updates)
  async list(@Payload() raw: unknown): Promise<QueryReply<UpdatesReplyV1>> {
    const req = parseQuery(UpdatesQueryV1, raw);
    return req.ok ? { ok: true, result: await this.updates.view(req.value.component) } : req;
  }
}
