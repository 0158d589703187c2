import { Inject, Injectable } from '@nestjs/common';
import {
  DeadLetterKind,
  DeliveryStatus,
  Queries,
  type AuditActor,
  type DeadLetterDiscardReplyV1,
  type DeadLetterList,
  type DeadLetterListReplyV1,
  type DeadLetterListV1,
  type DeadLetterRedriveReplyV1,
  type DeadLetterView,
  type DeliveryView,
  type DiscardDeadLetterBody,
  type ListDeadLettersQuery,
  type RedriveDeadLettersBody,
} from '@lockstep/contracts';
import { API_CONFIG, type ApiConfig } from '../api.config';
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
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  /**
   * Dead letters of the kind asked (every kind when none), oldest first, at most `limit`. When the
   * scheduler cannot list the stream's messages, the others come anyway with a warning saying so.
   */
  async list(query: ListDeadLettersQuery): Promise<DeadLetterList> {
    const warnings: string[] = [];
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
            .catch((err: Error) => {
              warnings.push(
                `dead-lettered stream messages were not listed: ${err.message}. Start the scheduler (it alone reads the DEAD_LETTERS stream) and list again`,
              );
              return [];
            })
        : [],
    ]);
    const items = [...deliveries, ...outbox, ...messages].sort((a, b) => a.at.localeCompare(b.at)).slice(0, limit);
    return { items, warnings };
  }

  /**
   * Re-drives stream messages and outbox dead letters (the scheduler writes the audit record),
   * waiting up to API_REDRIVE_TIMEOUT: a re-drive of every one publishes up to 1000 messages.
   */
  redrive(body: RedriveDeadLettersBody, actor: AuditActor): Promise<DeadLetterRedriveReplyV1> {
    return this.queries.ask<DeadLetterRedriveReplyV1>(
      Queries.DeadLetterRedrive,
      { ...body, actor },
      this.config.API_REDRIVE_TIMEOUT,
    );
  }

  /** Drops one stream message or outbox dead letter for good (the scheduler writes the audit record). */
  discard(body: DiscardDeadLetterBody, actor: AuditActor): Promise<DeadLetterDiscardReplyV1> {
    return this.queries.ask<DeadLetterDiscardReplyV1>(Queries.DeadLetterDiscard, { ...body, actor });
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
