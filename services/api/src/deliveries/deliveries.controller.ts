import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import {
  ListDeadLettersQuery,
  ListDeliveriesQuery,
  ReplayDeadLettersBody,
  type AuditActor,
  type DeadLetterReplayReplyV1,
  type DeliveryView,
  type ListOf,
} from '@lockstep/contracts';
import { Actor } from '../http/request-actor';
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

/** `/v1/dead-letters`: deliveries that gave up, and their replay. */
@Controller('v1/dead-letters')
export class DeadLettersController {
  constructor(private readonly deliveries: DeliveriesService) {}

  @Get()
  async list(
    @Query(new ZodPipe(ListDeadLettersQuery, 'query')) query: ListDeadLettersQuery,
  ): Promise<ListOf<DeliveryView>> {
    return { items: await this.deliveries.deadLetters(query) };
  }

  @Post('replay')
  @HttpCode(200)
  replay(
    @Body(new ZodPipe(ReplayDeadLettersBody)) body: ReplayDeadLettersBody,
    @Actor() actor: AuditActor,
  ): Promise<DeadLetterReplayReplyV1> {
    return this.deliveries.replay(body, actor);
  }
}
