import { Injectable } from '@nestjs/common';
import type { Audited, DeadLetterReplayReplyV1, DeadLetterReplayV1, QueryReply } from '@lockstep/contracts';
import { DeliveryRepository } from './delivery.repository';
import { DeliveryWorker } from './delivery-worker.service';

/** Puts dead-lettered deliveries back in the queue on an operator's request. */
@Injectable()
export class DeadLettersService {
  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly worker: DeliveryWorker,
  ) {}

  /** Replays the dead deliveries the filter selects (all when empty) and wakes the worker when there are any. */
  async replay(req: Audited<DeadLetterReplayV1>): Promise<QueryReply<DeadLetterReplayReplyV1>> {
    const { actor, ...filter } = req;
    const replayed = await this.deliveries.replayDead(filter, actor);
    if (replayed > 0) this.worker.wake();
    return { ok: true, result: { replayed } };
  }
}
