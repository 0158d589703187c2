import {
  contractForType,
  DeliveryStatus,
  Queries,
  systemActor,
  type QueryReply,
  type SubscriptionUpsertReplyV1,
} from '@lockstep/contracts';
import { startHttpReceiver, waitFor, type HttpReceiver, type ReceivedRequest } from '@lockstep/testing';
import type { TestFleet } from '../../test/support/fleet';
import type { SeenEvent } from './invariants';

/** The events the watch subscribes to: what a rollout (and its backups) tells an operator. */
export const WATCHED_EVENTS = ['rollout.changed', 'node.install.finished', 'backup.changed'];

/** Notifier settings that keep a scenario short: fast retries, a lease that expires soon after a kill. */
const NOTIFIER_ENV = {
  NOTIFIER_ALLOWED_DESTINATIONS: 'loopback',
  NOTIFIER_RETRY_SCHEDULE: '200ms,400ms,800ms,1600ms,3200ms',
  NOTIFIER_POLL_INTERVAL: '100ms',
  NOTIFIER_LEASE: '2s',
};
/** How long the events of a scenario may take to reach the webhook after its rollouts settled. */
const DELIVERY_WAIT_MS = 30_000;
/** How long the webhook must have been quiet before its deliveries are counted. */
const QUIET_MS = 1000;

/** What the webhook check found for one scenario. */
export interface DeliveryBreakage {
  /** Events that reached the webhook other than exactly once: never, or under two webhook-ids. */
  duplicateDeliveries: number;
  findings: string[];
}

/**
 * A webhook subscription on a fleet, and the notifier that serves it: every event of WATCHED_EVENTS
 * must reach the receiver exactly once. A retry carries the same `webhook-id` (a receiver drops
 * repeats by it), so "exactly once" means one webhook-id per event, and at least one request.
 */
export class WebhookWatch {
  private constructor(
    readonly fleet: TestFleet,
    readonly receiver: HttpReceiver,
  ) {}

  static async start(fleet: TestFleet): Promise<WebhookWatch> {
    const receiver = await startHttpReceiver();
    const watch = new WebhookWatch(fleet, receiver);
    try {
      await watch.startNotifier();
      await watch.subscribe('fault matrix');
      return watch;
    } catch (err) {
      await receiver.stop();
      throw err;
    }
  }

  /** Subscribes the receiver to WATCHED_EVENTS (once more, for a control); returns a function that removes the subscription. */
  async subscribe(name: string): Promise<() => Promise<void>> {
    const reply = await this.fleet.dep.queries.send<QueryReply<SubscriptionUpsertReplyV1>>(Queries.SubscriptionUpsert, {
      name,
      channel: 'webhook',
      target: { url: this.receiver.url },
      eventTypes: WATCHED_EVENTS,
      actor: systemActor('faults'),
    });
    if (!reply.ok) throw new Error(`the webhook subscription was refused: ${reply.error.message}`);
    const { id } = reply.result.subscription;
    return async () => {
      const removed = await this.fleet.dep.queries.send<QueryReply<unknown>>(Queries.SubscriptionDelete, {
        id,
        actor: systemActor('faults'),
      });
      if (!removed.ok) throw new Error(`subscription ${id} was not removed: ${removed.error.message}`);
    };
  }

  /** Starts a notifier (again, after a kill: it takes over the deliveries its lease left). */
  startNotifier() {
    return this.fleet.startService('notifier', NOTIFIER_ENV);
  }

  /**
   * Waits until every watched event among `events` reached the webhook (or DELIVERY_WAIT_MS
   * passed), then counts the events that arrived never or under more than one webhook-id.
   */
  async check(events: SeenEvent[]): Promise<DeliveryBreakage> {
    const expected = events.filter((e) => WATCHED_EVENTS.includes(contractForType(e.type)?.name ?? ''));
    const arrived = () => byEvent(this.receiver.requests);
    await waitFor(() => expected.every((e) => arrived().has(e.id)) || undefined, {
      timeoutMs: DELIVERY_WAIT_MS,
      intervalMs: 200,
      what: 'every watched event at the webhook',
    }).catch(() => undefined);
    // a second delivery of an event may still be on its way (a restarted notifier's): count only
    // once the notifier has nothing left to send and the webhook has been quiet for a moment
    await waitFor(
      async () => {
        const { rows } = await this.fleet.dep.pg.query(`SELECT count(*)::int AS n FROM deliveries WHERE status = $1`, [
          DeliveryStatus.Pending,
        ]);
        const last = this.receiver.requests.at(-1)?.at ?? 0;
        return (rows[0] as { n: number }).n === 0 && Date.now() - last > QUIET_MS;
      },
      { timeoutMs: DELIVERY_WAIT_MS, intervalMs: 200, what: 'the notifier to have nothing left to send' },
    ).catch(() => undefined);
    const got = arrived();
    const findings: string[] = [];
    let duplicateDeliveries = 0;
    for (const e of expected) {
      const ids = got.get(e.id);
      if (!ids) findings.push(`${contractForType(e.type)?.name} ${e.id} never reached the webhook`);
      else if (ids.size > 1)
        findings.push(
          `${contractForType(e.type)?.name} ${e.id} reached the webhook as ${ids.size} deliveries (${[...ids].join(', ')})`,
        );
      else continue;
      duplicateDeliveries++;
    }
    return { duplicateDeliveries, findings };
  }

  stop(): Promise<void> {
    return this.receiver.stop();
  }
}

/** Per CloudEvent id, the webhook-ids it arrived under (accepted: answered 2xx; a held attempt whose sender died is not). */
function byEvent(requests: ReceivedRequest[]): Map<string, Set<string>> {
  const seen = new Map<string, Set<string>>();
  for (const r of requests) {
    if (r.status === undefined || r.status < 200 || r.status >= 300) continue;
    let id: string | undefined;
    try {
      id = (JSON.parse(r.body) as { id?: string }).id;
    } catch {
      continue;
    }
    if (!id) continue;
    seen.set(id, (seen.get(id) ?? new Set()).add(String(r.headers['webhook-id'])));
  }
  return seen;
}
