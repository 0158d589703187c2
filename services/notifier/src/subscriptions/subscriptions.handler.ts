import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { parseQuery, Queries, SubscriptionDeleteV1, SubscriptionUpsertV1 } from '@lockstep/contracts';
import { SubscriptionsService } from './subscriptions.service';

/** NATS request/reply handlers for subscription management (called by the API). */
@Controller()
export class SubscriptionsHandler {
  constructor(private readonly service: SubscriptionsService) {}

  @MessagePattern(Queries.SubscriptionUpsert)
  async upsert(@Payload() raw: unknown) {
    const req = parseQuery(SubscriptionUpsertV1, raw);
    return req.ok ? this.service.upsert(req.value) : req;
  }

  @MessagePattern(Queries.SubscriptionDelete)
  async delete(@Payload() raw: unknown) {
    const req = parseQuery(SubscriptionDeleteV1, raw);
    return req.ok ? this.service.delete(req.value.id) : req;
  }
}
