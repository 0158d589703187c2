import { Injectable } from '@nestjs/common';
import {
  DeadLetterKind,
  DeliveryStatus,
  Queries,
  type AuditActor,
  type DeadLetterListReplyV1,
  type DeadLetterListV1,
  type DeadLetterRedriveReplyV1,
  type DeadLetterView,
  type DeliveryView,
  type ListDeadLettersQuery,
  type RedriveDeadLettersBody,
} from '@lockstep/contracts';
import { DeliveriesRepository } from '../deliveries/deliveries.repository';
import { QueryGateway } from '../http/query-gateway';
import { OutboxDeadLettersRepository } from './outbox-dead-letters.repository';

/**
 * Every kind of dead letter in one list: the notifier's dead deliveries and the outbox's
 * dead letters (read from Postgres), the DEAD_LETTERS stream's messages (asked of the
 * scheduler, which alone may read it). Re-driving messages and outbox rows is the scheduler's.
 */
@Injectable()
export class DeadLettersService {
  constructor(
    private readonly deliveries: DeliveriesRepository,
    private readonly outbox: OutboxDeadLettersRepository,
    private readonly queries: QueryGateway,
  ) {}

  /** Dead letters of the kind asked (every kind when none), oldest first, at most `limit`. */
  async list(query: ListDeadLettersQuery): Promise<DeadLetterView[]> {
    const { kind, limit, ...deliveryFilter } = query;
    const narrowedToDeliveries = deliveryFilter.subscription !== undefined || deliveryFilter.event !== undefined;
    const wants = (k: DeadLetterKind) =>
      kind === undefined ? k === DeadLetterKind.Delivery || !narrowedToDeliveries : kind === k;
    const [deliveries, outbox, messages] = await Promise.all([
      wants(DeadLetterKind.Delivery)
        ? this.deliveries
            .list({ ...deliveryFilter, status: DeliveryStatus.Dead, limit })
            .then((d) => d.map(deliveryView))
        : [],
      wants(DeadLetterKind.Outbox) ? this.outbox.list(limit) : [],
      wants(DeadLetterKind.Message)
        ? this.queries
            .ask<DeadLetterListReplyV1>(Queries.DeadLetterList, { limit } satisfies DeadLetterListV1)
            .then((r) => r.items)
        : [],
    ]);
    return [...deliveries, ...outbox, ...messages].sort((a, b) => a.at.localeCompare(b.at)).slice(0, limit);
  }

  /** Re-drives stream messages and outbox dead letters (the scheduler writes the audit record). */
  redrive(body: RedriveDeadLettersBody, actor: AuditActor): Promise<DeadLetterRedriveReplyV1> {
    return this.queries.ask<DeadLetterRedriveReplyV1>(Queries.DeadLetterRedrive, { ...body, actor });
  }
}

function deliveryView(d: DeliveryView): DeadLetterView {
  return {
    kind: DeadLetterKind.Delivery,
    id: d.id,
    subject: d.eventName,
    eventId: d.eventId,
    reason: d.lastError,
    at: d.finishedAt ?? d.createdAt,
    service: 'notifier',
    subscriptionId: d.subscriptionId,
  };
}
