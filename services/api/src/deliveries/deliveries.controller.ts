import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ZodPipe } from '../http/zod-validation.pipe';
import {
  ListDeadLettersQuery,
  ListDeliveriesQuery,
  ReplayDeadLettersBody,
  type DeliveryView,
} from './deliveries.schemas';
import { DeliveriesService } from './deliveries.service';

/** `/v1/deliveries`: the notifier's delivery log. */
@Controller('v1/deliveries')
export class DeliveriesController {
  constructor(private readonly deliveries: DeliveriesService) {}

  @Get()
  async list(
    @Query(new ZodPipe(ListDeliveriesQuery, 'query')) query: ListDeliveriesQuery,
  ): Promise<{ items: DeliveryView[] }> {
    return { items: await this.deliveries.list(query) };
  }
}

/** `/v1/dead-letters`: deliveries that gave up, and their replay. */
@Controller('v1/dead-letters')
export class DeadLettersController {
  constructor(private readonly deliveries: DeliveriesService) {}

  @Get()
  async list(
    @Query(new ZodPipe(ListDeadLettersQuery, 'query')) query: ListDeadLettersQuery,
  ): Promise<{ items: DeliveryView[] }> {
    return { items: await this.deliveries.deadLetters(query) };
  }

  @Post('replay')
  @HttpCode(200)
  replay(@Body(new ZodPipe(ReplayDeadLettersBody)) body: ReplayDeadLettersBody): Promise<{ replayed: number }> {
    return this.deliveries.replay(body);
  }
}
