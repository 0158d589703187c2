import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { AuditedSubscriptionDeleteV1, AuditedSubscriptionUpsertV1, parseQuery, Queries } from '@lockstep/contracts';
import { SubscriptionsService } from './subscriptions.service';

/** NATS request/reply handlers for subscription management (called by the API). */
@Controller()
export class SubscriptionsHandler {
  constructor(private readonly service: SubscriptionsService) {}

  @MessagePattern(Queries.SubscriptionUpsert)
  async upsert(@Payload() raw: unknown) {
    const req = parseQuery(AuditedSubscriptionUpsertV1, raw);
    return req.ok ? this.service.upsert(req.value) : req;
  }

  @MessagePattern(Queries.SubscriptionDelete)
  async delete(@Payload() raw: unknown) {
    const req = parseQuery(AuditedSubscriptionDeleteV1, raw);
    return req.ok ? this.service.delete(req.value.id, req.value.actor) : req;
  }
}
