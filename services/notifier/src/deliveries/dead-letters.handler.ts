import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  DeadLetterReplayV1,
  parseQuery,
  Queries,
  type DeadLetterReplayReplyV1,
  type QueryReply,
} from '@lockstep/contracts';
import { DeliveryRepository } from './delivery.repository';
import { DeliveryWorker } from './delivery-worker.service';

/** Replays dead-lettered deliveries on an operator's request. */
@Controller()
export class DeadLettersHandler {
  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly worker: DeliveryWorker,
  ) {}

  @MessagePattern(Queries.DeadLetterReplay)
  async replay(@Payload() raw: unknown): Promise<QueryReply<DeadLetterReplayReplyV1>> {
    const req = parseQuery(DeadLetterReplayV1, raw);
    if (!req.ok) return req;
    const replayed = await this.deliveries.replayDead(req.value);
    if (replayed > 0) this.worker.wake();
    return { ok: true, result: { replayed } };
  }
}
