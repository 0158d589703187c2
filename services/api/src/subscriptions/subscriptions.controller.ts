import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import {
  CreateSubscriptionBody,
  PatchSubscriptionBody,
  SubscriptionId,
  type AuditActor,
  type ListOf,
  type SubscriptionUpsertReplyV1,
  type SubscriptionViewV1,
} from '@lockstep/contracts';
import { Actor } from '../http/request-actor';
import { ZodPipe } from '../http/zod-validation.pipe';
import { SubscriptionsService } from './subscriptions.service';

/** `/v1/subscriptions`: where the notifier sends events. Secrets and URL tokens never leave masked. */
@Controller('v1/subscriptions')
export class SubscriptionsController {
  constructor(private readonly subscriptions: SubscriptionsService) {}

  @Get()
  async list(): Promise<ListOf<SubscriptionViewV1>> {
    return { items: await this.subscriptions.list() };
  }

  @Post()
  create(
    @Body(new ZodPipe(CreateSubscriptionBody)) body: CreateSubscriptionBody,
    @Actor() actor: AuditActor,
  ): Promise<SubscriptionUpsertReplyV1> {
    return this.subscriptions.create(body, actor);
  }

  @Patch(':id')
  update(
    @Param('id', new ZodPipe(SubscriptionId, 'path')) id: string,
    @Body(new ZodPipe(PatchSubscriptionBody)) body: PatchSubscriptionBody,
    @Actor() actor: AuditActor,
  ): Promise<SubscriptionUpsertReplyV1> {
    return this.subscriptions.update(id, body, actor);
  }

  @Delete(':id')
  @HttpCode(204)
  async delete(
    @Param('id', new ZodPipe(SubscriptionId, 'path')) id: string,
    @Actor() actor: AuditActor,
  ): Promise<void> {
    await this.subscriptions.delete(id, actor);
  }
}
