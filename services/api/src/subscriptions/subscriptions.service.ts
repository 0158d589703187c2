import { Injectable } from '@nestjs/common';
import {
  Queries,
  toView,
  type AuditActor,
  type CreateSubscriptionBody,
  type PatchSubscriptionBody,
  type SubscriptionDeleteReplyV1,
  type SubscriptionUpsertReplyV1,
  type SubscriptionViewV1,
} from '@lockstep/contracts';
import { ApiError } from '../http/api-error';
import { QueryGateway } from '../http/query-gateway';
import { SubscriptionsRepository } from './subscriptions.repository';

/** Subscriptions: read from Postgres (always masked), written by the notifier over NATS. */
@Injectable()
export class SubscriptionsService {
  constructor(
    private readonly repo: SubscriptionsRepository,
    private readonly queries: QueryGateway,
  ) {}

  async list(): Promise<SubscriptionViewV1[]> {
    return (await this.repo.list()).map(toView);
  }

  /** Creates a subscription; the notifier validates the target and refuses unsafe destinations. */
  create(body: CreateSubscriptionBody, actor: AuditActor): Promise<SubscriptionUpsertReplyV1> {
    return this.queries.ask<SubscriptionUpsertReplyV1>(Queries.SubscriptionUpsert, { ...body, actor });
  }

  /** Changes some fields; the rest (and the stored target) stay as they are. */
  async update(id: string, patch: PatchSubscriptionBody, actor: AuditActor): Promise<SubscriptionUpsertReplyV1> {
    const existing = await this.repo.find(id);
    if (!existing) throw notFound(id);
    return this.queries.ask<SubscriptionUpsertReplyV1>(Queries.SubscriptionUpsert, {
      id,
      name: patch.name ?? existing.name,
      channel: existing.channel,
      target: patch.target ?? {},
      eventTypes: patch.eventTypes ?? existing.eventTypes,
      enabled: patch.enabled ?? existing.enabled,
      actor,
    });
  }

  async delete(id: string, actor: AuditActor): Promise<void> {
    await this.queries.ask<SubscriptionDeleteReplyV1>(Queries.SubscriptionDelete, { id, actor });
  }
}

const notFound = (id: string): ApiError =>
  ApiError.notFound(`subscription ${id} does not exist; list subscriptions with GET /v1/subscriptions`);
