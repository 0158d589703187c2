import { Controller, Get, Query } from '@nestjs/common';
import { ListDeliveriesQuery, type DeliveryView, type ListOf } from '@lockstep/contracts';
import { ZodPipe } from '../http/zod-validation.pipe';
import { DeliveriesService } from './deliveries.service';

/** `/v1/deliveries`: the notifier's delivery log. */
@Controller('v1/deliveries')
export class DeliveriesController {
  constructor(private readonly deliveries: DeliveriesService) {}

  @Get()
  async list(
    @Query(new ZodPipe(ListDeliveriesQuery, 'query')) query: ListDeliveriesQuery,
  ): Promise<ListOf<DeliveryView>> {
    return { items: await this.deliveries.list(query) };
  }
}
