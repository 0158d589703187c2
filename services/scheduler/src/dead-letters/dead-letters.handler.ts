import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  AuditedDeadLetterDiscardV1,
  AuditedDeadLetterRedriveV1,
  DeadLetterListV1,
  parseQuery,
  Queries,
  type DeadLetterDiscardReplyV1,
  type DeadLetterListReplyV1,
  type DeadLetterRedriveReplyV1,
  type QueryReply,
} from '@lockstep/contracts';
import { DeadLettersService } from './dead-letters.service';

/** NATS request/reply handlers for the dead letters the scheduler looks after (asked by the API): parse, then delegate. */
@Controller()
export class DeadLettersHandler {
  constructor(private readonly service: DeadLettersService) {}

  @MessagePattern(Queries.DeadLetterList)
  async list(@Payload() raw: unknown): Promise<QueryReply<DeadLetterListReplyV1>> {
    const req = parseQuery(DeadLetterListV1, raw);
    return req.ok ? this.service.list(req.value) : req;
  }

  @MessagePattern(Queries.DeadLetterRedrive)
  async redrive(@Payload() raw: unknown): Promise<QueryReply<DeadLetterRedriveReplyV1>> {
    const req = parseQuery(AuditedDeadLetterRedriveV1, raw);
    return req.ok ? this.service.redrive(req.value) : req;
  }

  @MessagePattern(Queries.DeadLetterDiscard)
  async discard(@Payload() raw: unknown): Promise<QueryReply<DeadLetterDiscardReplyV1>> {
    const req = parseQuery(AuditedDeadLetterDiscardV1, raw);
    return req.ok ? this.service.discard(req.value) : req;
  }
}
