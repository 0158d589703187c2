import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import type { SubscriptionViewV1 } from '@lockstep/contracts';
import { SubscriptionId } from '../http/query-params';
import { ZodPipe } from '../http/zod-validation.pipe';
import { CreateSubscriptionBody, PatchSubscriptionBody, type SubscriptionWriteResult } from './subscriptions.schemas';
import { SubscriptionsService } from './subscriptions.service';

/** `/v1/subscriptions`: where the notifier sends events. Secrets and URL tokens never leave masked. */
@Controller('v1/subscriptions')
export class SubscriptionsController {
  constructor(private readonly subscriptions: SubscriptionsService) {}

  @Get()
  async list(): Promise<{ items: SubscriptionViewV1[] }> {
    return { items: await this.subscriptions.list() };
  }

  @Post()
  create(@Body(new ZodPipe(CreateSubscriptionBody)) body: CreateSubscriptionBody): Promise<SubscriptionWriteResult> {
    return this.subscriptions.create(body);
  }

  @Patch(':id')
  update(
    @Param('id', new ZodPipe(SubscriptionId, 'path')) id: string,
    @Body(new ZodPipe(PatchSubscriptionBody)) body: PatchSubscriptionBody,
  ): Promise<SubscriptionWriteResult> {
    return this.subscriptions.update(id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  async delete(@Param('id', new ZodPipe(SubscriptionId, 'path')) id: string): Promise<void> {
    await this.subscriptions.delete(id);
  }
}
