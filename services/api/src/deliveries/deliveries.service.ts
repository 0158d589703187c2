import { Injectable } from '@nestjs/common';
import {
  Queries,
  type AuditActor,
  type DeadLetterReplayReplyV1,
  type DeliveryView,
  type ListDeliveriesQuery,
  type ReplayDeadLettersBody,
} from '@lockstep/contracts';
import { QueryGateway } from '../http/query-gateway';
import { DeliveriesRepository } from './deliveries.repository';

/** The delivery log (read from Postgres) and dead-letter replay (asked of the notifier). */
@Injectable()
export class DeliveriesService {
  constructor(
    private readonly repo: DeliveriesRepository,
    private readonly queries: QueryGateway,
  ) {}

  list(query: ListDeliveriesQuery): Promise<DeliveryView[]> {
    return this.repo.list(query);
  }

  /** Re-queues dead deliveries with a fresh retry schedule; returns how many. */
  replay(body: ReplayDeadLettersBody, actor: AuditActor): Promise<DeadLetterReplayReplyV1> {
    return this.queries.ask<DeadLetterReplayReplyV1>(Queries.DeadLetterReplay, { ...body, actor });
  }
}
