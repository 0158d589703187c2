import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { Subjects } from '@lockstep/contracts';
import { EventPublisher, NatsClient } from '@lockstep/messaging';
import { MetricsRegistry, recordToHeaders } from '@lockstep/telemetry';
import type { Counter } from 'prom-client';
import { headers as natsHeaders } from '@nats-io/nats-core';
import {
  DataSource,
  type EntityManager,
  type EntitySubscriberInterface,
  type TransactionCommitEvent,
  type TransactionRollbackEvent,
} from 'typeorm';
import { OutboxMessageEntity } from '../entities';
import { whyNeverPublishable } from './never-publishable';
import { enqueueEvent, forgetOutboxWrite, wroteOutbox } from './outbox';

const BATCH = 200;

/**
 * Injection token: the outbox subjects this process relays (its NATS user may publish only
 * those, see publishedSubjectsOf in @lockstep/messaging). Absent: every row.
 */
export const OUTBOX_RELAY_SUBJECTS = Symbol('OUTBOX_RELAY_SUBJECTS');

/**
 * Publishes outbox rows to JetStream and deletes them once stored. Rows are locked with SKIP
 * LOCKED, so replicas share the work; the rows of one aggregate go out in commit order, as a
 * relay leaves a row whose aggregate has an earlier row it did not claim. A crash after publishing
 * and before deleting re-publishes with the same Nats-Msg-Id, which the stream drops.
 *
 * A row NATS can never take (see whyNeverPublishable) moves to outbox_dead_letters with the
 * reason, logged as an error and counted (lockstep_outbox_dead_letters_total), and later rows go
 * on; on an outage of NATS the pass keeps what it published and retries the rest, forever.
 *
 * It subscribes to its DataSource's transactions: when one that wrote to the outbox
 * (enqueueEvent, enqueueCommand) commits, it publishes at once, so no caller has to wake it.
 * Other processes' writes are found by polling. Given OUTBOX_RELAY_SUBJECTS it takes only
 * rows with those subjects (each service relays its own rows: under least-privilege NATS users
 * it may publish no other's), else every row.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown, EntitySubscriberInterface {
  private readonly logger = new Logger(OutboxRelay.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopped = false;
  private readonly deadLettered?: Counter<'subject'>;
  /** Poll interval for writes this process did not commit (another replica's). */
  pollMs = 500;

  constructor(
    private readonly ds: DataSource,
    private readonly publisher: EventPublisher,
    private readonly nats: NatsClient,
    @Optional() @Inject(OUTBOX_RELAY_SUBJECTS) private readonly subjects?: readonly string[],
    @Optional() metrics?: MetricsRegistry,
  ) {
    this.deadLettered = metrics?.counter({
      name: 'lockstep_outbox_dead_letters_total',
      help: 'Outbox rows NATS can never take (too large, no stream, not permitted), moved to outbox_dead_letters',
      labelNames: ['subject'],
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.nats.connect();
    if (!this.ds.subscribers.includes(this)) this.ds.subscribers.push(this);
    this.schedule(0);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    const at = this.ds.subscribers.indexOf(this);
    if (at >= 0) this.ds.subscribers.splice(at, 1);
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** A transaction committed: publish now when it wrote to the outbox (not on a savepoint's release). */
  afterTransactionCommit(event: TransactionCommitEvent): void {
    if (event.queryRunner.isTransactionActive || !wroteOutbox(event.queryRunner)) return;
    forgetOutboxWrite(event.queryRunner);
    this.kick();
  }

  /** A transaction rolled back: its outbox rows are gone, nothing to publish. */
  afterTransactionRollback(event: TransactionRollbackEvent): void {
    if (!event.queryRunner.isTransactionActive) forgetOutboxWrite(event.queryRunner);
  }

  /** Asks for a publish pass soon (commits that wrote to the outbox do this themselves). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.schedule(0);
  }

  /**
   * Publishes everything pending now that this relay may publish in order; resolves with how
   * many rows went out. Rows behind another relay's claim on their aggregate are left to a later pass.
   */
  async flush(): Promise<number> {
    let total = 0;
    for (;;) {
      const { claimed, published, deadLettered } = await this.publishBatch();
      total += published;
      // a pass that dead-lettered wrote alerts to the outbox: another pass takes them
      if ((claimed < BATCH && deadLettered === 0) || published + deadLettered === 0) return total;
    }
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.running = this.flush()
        .then(() => undefined)
        .catch((err) => this.logger.warn(`outbox relay pass failed, will retry: ${(err as Error).message}`))
        .finally(() => {
          this.running = undefined;
          const again = this.again;
          this.again = false;
          this.schedule(again ? 0 : this.pollMs);
        });
    }, ms);
  }

  /** Claims a batch and publishes what is in order; a row NATS can never take is dead-lettered. */
  private async publishBatch(): Promise<Pass> {
    if (this.subjects?.length === 0) return { claimed: 0, published: 0, deadLettered: 0 };
    const pass = await this.ds.transaction(async (m) => {
      const rows = await this.claim(m);
      const published: string[] = [];
      const dead: DeadLetter[] = [];
      let outage: { err: unknown } | undefined;
      for (const row of await inOrder(m, rows)) {
        try {
          await this.publisher.publishMessage(
            row.subject,
            row.event,
            row.eventId,
            recordToHeaders(row.headers, natsHeaders()),
          );
          published.push(row.id);
        } catch (err) {
          const reason = await whyNeverPublishable(err, this.nats.jsm);
          if (reason === null) {
            outage = { err };
            break;
          }
          await moveToDeadLetters(m, row.id, reason);
          // an alert that cannot go out is only logged: alerting about it would loop
          if (row.subject !== Subjects.MessageDeadLettered) await this.enqueueAlert(m, row, reason);
          dead.push({ row, reason });
        }
      }
      // what went out before an outage is deleted too: the retry resumes after it
      if (published.length > 0) await m.delete(OutboxMessageEntity, published);
      return { claimed: rows.length, published: published.length, dead, outage };
    });
    for (const { row, reason } of pass.dead) this.alertDeadLetter(row, reason);
    if (pass.outage) throw pass.outage.err;
    return { claimed: pass.claimed, published: pass.published, deadLettered: pass.dead.length };
  }

  /** Locks up to BATCH pending rows (this relay's subjects), oldest first, skipping rows another relay holds. */
  private claim(m: EntityManager): Promise<OutboxMessageEntity[]> {
    const query = m.createQueryBuilder(OutboxMessageEntity, 'o');
    if (this.subjects) query.where('o.subject IN (:...subjects)', { subjects: this.subjects });
    return query.orderBy('o.id', 'ASC').limit(BATCH).setLock('pessimistic_write').setOnLocked('skip_locked').getMany();
  }

  /**
   * The alert subscriptions receive (`message.dead_lettered`), in the transaction that moves the
   * row: it goes out with the next pass, or not at all when the move rolls back. A relay that may
   * not publish it (under a user without that subject) leaves it to the relays that may.
   */
  private async enqueueAlert(m: EntityManager, row: OutboxMessageEntity, reason: string): Promise<void> {
    await enqueueEvent(
      m,
      Subjects.MessageDeadLettered,
      {
        kind: 'outbox',
        id: String(row.id),
        service: this.nats.options.service,
        subject: row.subject,
        eventId: row.eventId,
        reason,
      },
      { source: `/lockstep/${this.nats.options.service}/outbox`, subject: row.aggregate },
    );
  }

  private alertDeadLetter(row: OutboxMessageEntity, reason: string): void {
    this.deadLettered?.inc({ subject: row.subject });
    this.logger.error(
      `outbox row ${row.id} (${row.subject}, id ${row.eventId}, about ${row.aggregate}) can never be published ` +
        `and was moved to outbox_dead_letters; later rows go on: ${reason}`,
    );
  }
}

/** One publish pass: rows claimed, and of them published and dead-lettered (the rest wait their turn). */
interface Pass {
  claimed: number;
  published: number;
  deadLettered: number;
}

interface DeadLetter {
  row: OutboxMessageEntity;
  reason: string;
}

/**
 * The claimed rows that may go out now: a row waits while its aggregate has an earlier row that
 * this pass did not claim (another relay holds it, or it is another service's to publish), so
 * no two relays ever publish one aggregate's rows out of order.
 */
async function inOrder(m: EntityManager, rows: OutboxMessageEntity[]): Promise<OutboxMessageEntity[]> {
  if (rows.length === 0) return rows;
  const earliest: { aggregate: string; first: string }[] = await m.query(
    `SELECT aggregate, min(id)::text AS first FROM outbox
     WHERE aggregate = ANY($1::text[]) AND NOT (id = ANY($2::bigint[])) GROUP BY aggregate`,
    [[...new Set(rows.map((r) => r.aggregate))], rows.map((r) => r.id)],
  );
  const waitFrom = new Map(earliest.map((e) => [e.aggregate, BigInt(e.first)]));
  return rows.filter((r) => {
    const first = waitFrom.get(r.aggregate);
    return first === undefined || BigInt(r.id) < first;
  });
}

/** Moves an outbox row to outbox_dead_letters with why it can never be published. */
async function moveToDeadLetters(m: EntityManager, id: string, reason: string): Promise<void> {
  await m.query(
    `WITH moved AS (DELETE FROM outbox WHERE id = $1 RETURNING *)
     INSERT INTO outbox_dead_letters (id, subject, event_id, aggregate, event, headers, created_at, reason)
     SELECT id, subject, event_id, aggregate, event, headers, created_at, $2 FROM moved`,
    [id, reason],
  );
}
