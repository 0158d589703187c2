import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DeliveryStatus, systemActor, type AuditActor, type CloudEvent } from '@lockstep/contracts';
import { appendAudit, DeliveryAttemptEntity, DeliveryEntity } from '@lockstep/persistence';
import { DataSource, type EntityManager } from 'typeorm';

/** What finishing an attempt does to its delivery. */
export type DeliveryTransition =
  | { status: typeof DeliveryStatus.Delivered }
  | { status: typeof DeliveryStatus.Pending; nextAttemptAt: Date }
  | { status: typeof DeliveryStatus.Dead | typeof DeliveryStatus.Cancelled };

/** Storage of deliveries and their attempts: the notifier's durable work queue. */
@Injectable()
export class DeliveryRepository {
  constructor(private readonly ds: DataSource) {}

  /** Creates one pending delivery per subscription; an existing (event, subscription) pair is kept as is. */
  async enqueue(
    event: CloudEvent,
    eventName: string,
    subscriptionIds: string[],
    trace: Record<string, string>,
  ): Promise<number> {
    if (subscriptionIds.length === 0) return 0;
    const now = new Date();
    const rows = subscriptionIds.map((subscriptionId) => ({
      id: `msg_${randomUUID().replace(/-/g, '')}`,
      eventId: event.id,
      subscriptionId,
      eventName,
      event: event as never,
      trace,
      status: DeliveryStatus.Pending,
      attempts: 0,
      nextAttemptAt: now,
    }));
    const r = await this.ds
      .createQueryBuilder()
      .insert()
      .into(DeliveryEntity)
      .values(rows)
      .orIgnore()
      .returning('id')
      .execute();
    // With ON CONFLICT DO NOTHING, only rows really inserted come back.
    return (r.raw as unknown[]).length;
  }

  /**
   * Claims up to `limit` due deliveries for `leaseMs`. SKIP LOCKED lets replicas share the
   * queue; a worker that dies simply lets its lease run out.
   */
  async claimDue(limit: number, leaseMs: number): Promise<DeliveryEntity[]> {
    const rows: Record<string, unknown>[] = await this.ds.query(
      `UPDATE deliveries d SET lease_until = now() + ($2::int * interval '1 millisecond')
       WHERE d.id IN (
         SELECT id FROM deliveries
         WHERE status = 'pending' AND next_attempt_at <= now() AND (lease_until IS NULL OR lease_until < now())
         ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING d.*`,
      [limit, leaseMs],
    );
    const raw = Array.isArray(rows[0]) ? (rows[0] as Record<string, unknown>[]) : rows;
    return raw.map((r) =>
      this.ds.getRepository(DeliveryEntity).create({
        id: r.id as string,
        eventId: r.event_id as string,
        subscriptionId: r.subscription_id as string,
        eventName: r.event_name as string,
        event: r.event as Record<string, unknown>,
        trace: r.trace as Record<string, string>,
        status: r.status as DeliveryStatus,
        attempts: r.attempts as number,
        nextAttemptAt: r.next_attempt_at as Date,
        scheduleBase: r.schedule_base as number,
        leaseUntil: r.lease_until as Date,
      }),
    );
  }

  /** Earliest time a pending delivery becomes due, to sleep exactly until then. */
  async nextDueAt(): Promise<Date | undefined> {
    const [row] = await this.ds.query<Array<{ at: Date | null }>>(
      `SELECT min(next_attempt_at) AS at FROM deliveries WHERE status = 'pending'`,
    );
    return row?.at ? new Date(row.at) : undefined;
  }

  /**
   * Records an attempt and moves the delivery on, atomically. Returns false (and records
   * nothing) when another worker already recorded this attempt number, e.g. after a lease ran out.
   */
  async recordAttempt(
    delivery: DeliveryEntity,
    attempt: Omit<DeliveryAttemptEntity, 'id' | 'deliveryId' | 'attempt'>,
    next: DeliveryTransition,
    lastError: string | null,
    extra?: (m: EntityManager) => Promise<void>,
  ): Promise<boolean> {
    return this.ds.transaction(async (m) => {
      const number = delivery.attempts + 1;
      const inserted = await m
        .createQueryBuilder()
        .insert()
        .into(DeliveryAttemptEntity)
        .values({ ...attempt, deliveryId: delivery.id, attempt: number })
        .orIgnore()
        .returning('id')
        .execute();
      if (!(inserted.raw as unknown[]).length) return false;
      const done = next.status !== DeliveryStatus.Pending;
      const r = await m
        .createQueryBuilder()
        .update(DeliveryEntity)
        .set({
          status: next.status,
          attempts: number,
          leaseUntil: null,
          lastError,
          nextAttemptAt: next.status === DeliveryStatus.Pending ? next.nextAttemptAt : () => 'next_attempt_at',
          finishedAt: done ? new Date() : null,
        })
        .where('id = :id AND attempts = :prev', { id: delivery.id, prev: delivery.attempts })
        .execute();
      if (!r.affected) throw new Error(`delivery ${delivery.id} moved on under us`);
      // Giving up on a delivery is the notifier's own decision: recorded with the move to dead.
      if (next.status === DeliveryStatus.Dead)
        await appendAudit(m, {
          actor: systemActor('notifier'),
          action: 'message.dead-lettered',
          target: delivery.id,
          params: {
            subscriptionId: delivery.subscriptionId,
            event: delivery.eventName,
            eventId: delivery.eventId,
            attempts: number,
            lastError,
          },
        });
      await extra?.(m);
      return true;
    });
  }

  /**
   * Gives a claimed delivery back to the queue untouched (no attempt was made), for any worker to
   * claim now — only while the lease is still the one claimDue took: once it ran out another
   * worker may hold the delivery, and its lease stays. (The driver reads times to the millisecond.)
   */
  async release(delivery: Pick<DeliveryEntity, 'id' | 'leaseUntil'>): Promise<void> {
    if (!delivery.leaseUntil) return;
    await this.ds.query(
      `UPDATE deliveries SET lease_until = NULL
       WHERE id = $1 AND status = 'pending' AND date_trunc('milliseconds', lease_until) = $2`,
      [delivery.id, delivery.leaseUntil],
    );
  }

  /** Marks a delivery finished without an attempt (its subscription is gone or disabled). */
  async cancel(id: string, reason: string): Promise<void> {
    await this.ds
      .getRepository(DeliveryEntity)
      .update(
        { id },
        { status: DeliveryStatus.Cancelled, lastError: reason, leaseUntil: null, finishedAt: new Date() },
      );
  }

  /** Cancels every pending delivery of a subscription (it answered 410). */
  async cancelPendingOf(subscriptionId: string, reason: string, m: EntityManager): Promise<void> {
    await m
      .getRepository(DeliveryEntity)
      .update(
        { subscriptionId, status: DeliveryStatus.Pending },
        { status: DeliveryStatus.Cancelled, lastError: reason, finishedAt: new Date() },
      );
  }

  /**
   * Puts dead deliveries back in the queue with a fresh retry schedule, and records the replay
   * by `actor` in the same transaction (also when nothing matched: the request is recorded).
   */
  async replayDead(filter: { deliveryId?: string; subscriptionId?: string }, actor: AuditActor): Promise<number> {
    return this.ds.transaction(async (m) => {
      const replayed = await this.replayDeadIn(m, filter);
      await appendAudit(m, {
        actor,
        action: 'dead-letter.replay',
        target: filter.deliveryId ?? filter.subscriptionId ?? 'all',
        params: { ...filter, replayed },
      });
      return replayed;
    });
  }

  private async replayDeadIn(m: EntityManager, filter: { deliveryId?: string; subscriptionId?: string }) {
    const qb = m
      .createQueryBuilder()
      .update(DeliveryEntity)
      .set({
        status: DeliveryStatus.Pending,
        nextAttemptAt: new Date(),
        leaseUntil: null,
        finishedAt: null,
        scheduleBase: () => 'attempts',
      })
      .where('status = :dead', { dead: DeliveryStatus.Dead });
    if (filter.deliveryId) qb.andWhere('id = :id', { id: filter.deliveryId });
    if (filter.subscriptionId) qb.andWhere('subscription_id = :sid', { sid: filter.subscriptionId });
    const r = await qb.execute();
    return r.affected ?? 0;
  }
}
