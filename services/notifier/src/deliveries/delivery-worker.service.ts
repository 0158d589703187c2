import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { DeliveryStatus, type CloudEvent } from '@lockstep/contracts';
import {
  SealingError,
  SealingErrorCode,
  SettingsReader,
  type DeliveryEntity,
  type SettingsSource,
  type SubscriptionEntity,
} from '@lockstep/persistence';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { MetricsRegistry, redactSecrets, traceContextFromRecord } from '@lockstep/telemetry';
import type { Counter, Histogram } from 'prom-client';
import { attemptDelivery } from '../channels/channel-delivery';
import { getChannel } from '../channels/registry';
import { AgentPool, AllowList } from '@lockstep/net-guard';
import { AttemptOutcome, RetrySchedule, nextAttemptDelay, type AttemptResult } from '../http';
import { NOTIFIER_CONFIG, type NotifierConfig } from '../notifier.config';
import { SubscriptionRepository } from '../subscriptions/subscription.repository';
import { DeliveryRepository, type DeliveryTransition } from './delivery.repository';

/**
 * Sends due deliveries: claims them from Postgres with a lease, makes one attempt each
 * (up to NOTIFIER_CONCURRENCY at once), records the attempt and schedules the next one
 * or finishes the delivery. Everything it needs survives a crash in Postgres.
 */
@Injectable()
export class DeliveryWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(DeliveryWorker.name);
  private readonly schedule: RetrySchedule;
  private readonly allowList: AllowList;
  private readonly agents = new AgentPool();
  /** Aborted when shutdown begins: stops waits for a rate limit slot (nothing of theirs was sent). */
  private readonly stopWaiting = new AbortController();
  /** Aborted once the attempts in flight at shutdown are recorded: sends started later end as retries. */
  private readonly abort = new AbortController();
  private readonly inFlight = new Set<Promise<void>>();
  private timer?: NodeJS.Timeout;
  private pumping = false;
  private again = false;
  private stopped = false;
  private readonly attemptsTotal: Counter<'channel' | 'outcome'>;
  private readonly attemptSeconds: Histogram<'channel'>;

  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly subscriptions: SubscriptionRepository,
    @Inject(NOTIFIER_CONFIG) private readonly config: NotifierConfig,
    metrics: MetricsRegistry,
    @Inject(SettingsReader) private readonly settings: SettingsSource,
  ) {
    this.attemptsTotal = metrics.counter({
      name: 'lockstep_notifier_attempts_total',
      help: 'Delivery attempts by channel and outcome',
      labelNames: ['channel', 'outcome'],
    });
    this.attemptSeconds = metrics.histogram({
      name: 'lockstep_notifier_attempt_duration_seconds',
      help: 'Duration of delivery attempts',
      labelNames: ['channel'],
      buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10],
    });
    this.schedule = RetrySchedule.of(config.NOTIFIER_RETRY_SCHEDULE);
    this.allowList = AllowList.parse(config.NOTIFIER_ALLOWED_DESTINATIONS);
  }

  onApplicationBootstrap(): void {
    this.wake();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.stopWaiting.abort();
    // Let attempts in flight finish (bounded by the attempt timeout) so they are recorded.
    await Promise.allSettled([...this.inFlight]);
    this.abort.abort();
    this.agents.destroy();
  }

  /** Looks for due work now (called when deliveries are created). */
  wake(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.sleep(0);
  }

  private sleep(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.pump(), Math.max(0, ms));
  }

  private async pump(): Promise<void> {
    if (this.pumping || this.stopped) return;
    this.pumping = true;
    let next = this.config.NOTIFIER_POLL_INTERVAL;
    try {
      for (;;) {
        this.again = false;
        const free = this.config.NOTIFIER_CONCURRENCY - this.inFlight.size;
        if (free <= 0) {
          await Promise.race(this.inFlight);
          continue;
        }
        const batch = await this.deliveries.claimDue(free, this.config.NOTIFIER_LEASE);
        if (batch.length === 0 && !this.again) break;
        const subs = new Map(
          (await this.subscriptions.findByIds([...new Set(batch.map((d) => d.subscriptionId))])).map((s) => [s.id, s]),
        );
        for (const d of batch) this.track(this.attempt(d, subs.get(d.subscriptionId)));
        if (this.stopped) break;
      }
      const due = await this.deliveries.nextDueAt();
      if (due) next = Math.min(next, due.getTime() - Date.now());
    } catch (err) {
      this.logger.warn(`delivery pass failed, retrying: ${(err as Error).message}`);
    } finally {
      this.pumping = false;
      if (this.again) next = 0;
      this.sleep(next);
    }
  }

  private track(p: Promise<void>): void {
    const tracked = p
      .catch((err) => this.logger.error(`delivery attempt crashed: ${(err as Error).message}`))
      .finally(() => {
        this.inFlight.delete(tracked);
        this.wake();
      });
    this.inFlight.add(tracked);
  }

  private async attempt(d: DeliveryEntity, sub: SubscriptionEntity | undefined): Promise<void> {
    if (!sub || !sub.enabled) {
      await this.deliveries.cancel(
        d.id,
        sub ? `subscription disabled: ${sub.disabledReason ?? 'by an operator'}` : 'subscription deleted',
      );
      return;
    }
    const parent = traceContextFromRecord(d.trace);
    const span = trace.getTracer('lockstep-notifier').startSpan(
      `deliver ${sub.channel}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'lockstep.delivery_id': d.id,
          'lockstep.subscription_id': sub.id,
          'lockstep.attempt': d.attempts + 1,
          'cloudevents.event_id': d.eventId,
        },
      },
      parent,
    );
    const channel = getChannel(sub.channel);
    // read per attempt: `lockstep settings set notification.attempt_timeout` applies without a restart
    const timeoutMs = (await this.settings.override('notification.attempt_timeout')) ?? this.config.NOTIFIER_TIMEOUT;
    const started = new Date();
    let result: AttemptResult | undefined;
    try {
      const target = channel.validateTarget(this.subscriptions.openTarget(sub));
      result = await attemptDelivery(
        channel,
        d.event as unknown as CloudEvent,
        target,
        { attempt: d.attempts + 1, messageId: d.id },
        {
          allowList: this.allowList,
          timeoutMs,
          agents: this.agents,
          signal: this.abort.signal,
          waitSignal: this.stopWaiting.signal,
        },
      );
    } catch (err) {
      result = {
        // a replica still without the key its subscription was re-sealed under retries: restarted with it, it delivers
        outcome:
          err instanceof SealingError && err.code !== SealingErrorCode.SealedValueInvalid
            ? AttemptOutcome.Retry
            : AttemptOutcome.FailedPermanently,
        durationMs: Date.now() - started.getTime(),
        error: (err as Error).message,
      };
    }
    if (!result) {
      // Shutdown stopped the wait for the rate limit: nothing was sent, so this was no attempt.
      // The delivery goes back to the queue as it was, for another replica or the next start.
      span.setAttribute('lockstep.outcome', 'not_sent');
      span.end();
      await this.deliveries.release(d);
      return;
    }
    // an error text may quote a destination (a URL with its token): it goes to Postgres, spans and logs masked
    if (result.error !== undefined) result = { ...result, error: redactSecrets(result.error) };
    this.attemptsTotal.inc({ channel: sub.channel, outcome: result.outcome });
    this.attemptSeconds.observe({ channel: sub.channel }, result.durationMs / 1000);
    span.setAttribute('http.response.status_code', result.status ?? 0);
    span.setAttribute('lockstep.outcome', result.outcome);
    if (result.outcome !== AttemptOutcome.Delivered)
      span.setStatus({ code: SpanStatusCode.ERROR, message: result.error ?? `HTTP ${result.status}` });
    const { next, error } = this.transition(d, result);
    try {
      const recorded = await this.deliveries.recordAttempt(
        d,
        {
          startedAt: started,
          durationMs: result.durationMs,
          outcome: result.outcome,
          statusCode: result.status ?? null,
          responseSnippet: result.responseSnippet ?? null,
          error: result.error ?? null,
        },
        next,
        error,
        result.outcome === AttemptOutcome.Gone
          ? async (m) => {
              await this.subscriptions.disable(sub.id, `endpoint answered 410 Gone at ${started.toISOString()}`, m);
              await this.deliveries.cancelPendingOf(sub.id, 'subscription disabled: endpoint answered 410 Gone', m);
            }
          : undefined,
      );
      if (!recorded)
        this.logger.warn(`delivery ${d.id} attempt ${d.attempts + 1} was already recorded by another worker`);
    } finally {
      span.end();
    }
  }

  /** Where an attempt's result leaves the delivery. */
  private transition(d: DeliveryEntity, r: AttemptResult): { next: DeliveryTransition; error: string | null } {
    const error = r.error ?? (r.status ? `HTTP ${r.status}` : null);
    switch (r.outcome) {
      case AttemptOutcome.Delivered:
        return { next: { status: DeliveryStatus.Delivered }, error: null };
      case AttemptOutcome.Gone:
        return {
          next: { status: DeliveryStatus.Cancelled },
          error: 'endpoint answered 410 Gone; subscription disabled',
        };
      case AttemptOutcome.Retry: {
        const delay = nextAttemptDelay(d.attempts + 1 - d.scheduleBase, this.schedule, r.retryAfterMs);
        if (delay === undefined)
          return { next: { status: DeliveryStatus.Dead }, error: `retries exhausted; last: ${error}` };
        return { next: { status: DeliveryStatus.Pending, nextAttemptAt: new Date(Date.now() + delay) }, error };
      }
      default:
        return { next: { status: DeliveryStatus.Dead }, error };
    }
  }
}
