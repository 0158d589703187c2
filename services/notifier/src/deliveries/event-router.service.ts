import { Injectable } from '@nestjs/common';
import { contractForType, type CloudEvent } from '@lockstep/contracts';
import { traceContextToRecord } from '@lockstep/telemetry';
import { matchesAny } from '../subscriptions/event-filter';
import { SubscriptionRepository } from '../subscriptions/subscription.repository';
import { DeliveryRepository } from './delivery.repository';
import { DeliveryWorker } from './delivery-worker.service';

/** Turns one event into one durable delivery per matching, enabled subscription. */
@Injectable()
export class EventRouter {
  constructor(
    private readonly subscriptions: SubscriptionRepository,
    private readonly deliveries: DeliveryRepository,
    private readonly worker: DeliveryWorker,
  ) {}

  /** Resolves once the deliveries are committed; only then may the event be acked. */
  async route(event: CloudEvent): Promise<number> {
    const name = contractForType(event.type)?.name ?? event.type;
    const subs = await this.subscriptions.findEnabled();
    const matching = subs.filter((s) => matchesAny(name, s.eventTypes)).map((s) => s.id);
    const created = await this.deliveries.enqueue(event, name, matching, traceContextToRecord());
    if (created > 0) this.worker.wake();
    return created;
  }
}
