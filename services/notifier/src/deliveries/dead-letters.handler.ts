import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  AuditedDeadLetterReplayV1,
  parseQuery,
  Queries,
  type DeadLetterReplayReplyV1,
  type QueryReply,
} from '@lockstep/contracts';
import { DeadLettersService } from './dead-letters.service';

/** Replays dead-lettered deliveries on an operator's request. */
@Controller()
export class DeadLettersHandler {
  constructor(private readonly deadLetters: DeadLettersService) {}

  @MessagePattern(Queries.DeadLetterReplay)
  async replay(@Payload() raw: unknown): Promise<QueryReply<DeadLetterReplayReplyV1>> {
    const req = parseQuery(AuditedDeadLetterReplayV1, raw);
    return req.ok ? this.deadLetters.replay(req.value) : req;
  }
}
