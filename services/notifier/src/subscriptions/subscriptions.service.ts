import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  eventNames,
  QueryErrorCode,
  type Audited,
  type AuditActor,
  type QueryReply,
  type SubscriptionDeleteReplyV1,
  type SubscriptionUpsertReplyV1,
  type SubscriptionUpsertV1,
  toView,
} from '@lockstep/contracts';
import { SealingError, SubscriptionEntity } from '@lockstep/persistence';
import { validateSubscriptionTarget } from '../channels/channel-delivery';
import { generateWebhookSecret } from '../channels/webhook';
import { ChannelIds, InvalidTargetError, UnknownNotificationChannelError } from '../channels/notification-channel';
import { AllowList, DestinationRefusedError, DestinationUnresolvedError } from '@lockstep/net-guard';
import { NOTIFIER_CONFIG, type NotifierConfig } from '../notifier.config';
import { invalidFilters } from './event-filter';
import { SubscriptionRepository } from './subscription.repository';

/** Creates, updates and deletes subscriptions, refusing anything that could never deliver. */
@Injectable()
export class SubscriptionsService {
  readonly allowList: AllowList;

  constructor(
    private readonly repo: SubscriptionRepository,
    @Inject(NOTIFIER_CONFIG) config: NotifierConfig,
  ) {
    this.allowList = AllowList.parse(config.NOTIFIER_ALLOWED_DESTINATIONS);
  }

  /** Creates or updates a subscription, recorded (`subscription.create`/`.update`) by the token that asked. */
  async upsert(req: Audited<SubscriptionUpsertV1>): Promise<QueryReply<SubscriptionUpsertReplyV1>> {
    const existing = req.id ? await this.repo.findById(req.id) : null;
    if (req.id && !existing)
      return fail(QueryErrorCode.NotFound, `subscription ${req.id} does not exist; omit the id to create one`);
    const filterProblems = invalidFilters(req.eventTypes, eventNames());
    if (filterProblems.length) return fail(QueryErrorCode.InvalidEventFilter, filterProblems.join('; '));
    let storedTarget: Record<string, unknown> = {};
    try {
      if (existing) storedTarget = this.repo.openTarget(existing);
    } catch (err) {
      if (err instanceof SealingError) return fail(err.code, err.message);
      throw err;
    }
    const rawTarget: Record<string, unknown> = { ...storedTarget, ...req.target };
    let generatedSecret: string | undefined;
    if (req.channel === ChannelIds.Webhook && !Array.isArray(rawTarget.secrets)) {
      generatedSecret = generateWebhookSecret();
      rawTarget.secrets = [generatedSecret];
    }
    let checked;
    try {
      checked = await validateSubscriptionTarget(req.channel, rawTarget, this.allowList);
    } catch (err) {
      if (err instanceof UnknownNotificationChannelError || err instanceof InvalidTargetError)
        return fail(err.code, err.message);
      if (err instanceof DestinationRefusedError) return fail(QueryErrorCode.DestinationRefused, err.message);
      if (err instanceof DestinationUnresolvedError) return fail(err.code, err.message);
      throw err;
    }
    const { channel, target } = checked;
    const entity = existing ?? Object.assign(new SubscriptionEntity(), { id: randomUUID() });
    entity.name = req.name;
    entity.channel = channel.id;
    entity.eventTypes = req.eventTypes;
    entity.enabled = req.enabled;
    if (req.enabled) entity.disabledReason = null;
    let saved: SubscriptionEntity;
    try {
      saved = await this.repo.save(entity, target as Record<string, unknown>, {
        actor: req.actor,
        action: existing ? 'subscription.update' : 'subscription.create',
        params: {
          name: req.name,
          channel: channel.id,
          // The destination's origin only (its path may be a bearer token); secrets only counted.
          url: (target as { url?: unknown }).url,
          secretCount: Array.isArray(rawTarget.secrets) ? rawTarget.secrets.length : 0,
          eventTypes: req.eventTypes,
          enabled: req.enabled,
        },
      });
    } catch (err) {
      if (err instanceof SealingError) return fail(err.code, err.message);
      throw err;
    }
    return { ok: true, result: { subscription: toView(saved), generatedSecret } };
  }

  /** Deletes a subscription, recorded (`subscription.delete`) by the token that asked. */
  async delete(id: string, actor: AuditActor): Promise<QueryReply<SubscriptionDeleteReplyV1>> {
    const deleted = await this.repo.delete(id, { actor, action: 'subscription.delete' });
    return deleted
      ? { ok: true, result: { deleted } }
      : fail(QueryErrorCode.NotFound, `subscription ${id} does not exist`);
  }
}

const fail = (code: string, message: string): { ok: false; error: { code: string; message: string } } => ({
  ok: false,
  error: { code, message },
});
