import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { EventPublisher, NatsClient } from '@lockstep/messaging';
import { recordToHeaders } from '@lockstep/telemetry';
import { headers as natsHeaders } from '@nats-io/nats-core';
import {
  DataSource,
  type EntitySubscriberInterface,
  type TransactionCommitEvent,
  type TransactionRollbackEvent,
} from 'typeorm';
import { OutboxMessageEntity } from '../entities';
import { forgetOutboxWrite, wroteOutbox } from './outbox';

const BATCH = 200;

/**
 * Injection token: the outbox subjects this process relays (its NATS user may publish only
 * those, see publishedSubjectsOf in @lockstep/messaging). Absent: every row.
 */
export const OUTBOX_RELAY_SUBJECTS = Symbol('OUTBOX_RELAY_SUBJECTS');

/**
 * Publishes outbox rows to JetStream in commit order and deletes them once stored.
 * Rows are locked with SKIP LOCKED, so replicas share the work; a crash after publishing
 * and before deleting re-publishes with the same Nats-Msg-Id, which the stream drops.
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
  /** Poll interval for writes this process did not commit (another replica's). */
  pollMs = 500;

  constructor(
    private readonly ds: DataSource,
    private readonly publisher: EventPublisher,
    private readonly nats: NatsClient,
    @Optional() @Inject(OUTBOX_RELAY_SUBJECTS) private readonly subjects?: readonly string[],
  ) {}

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

  /** Publishes everything pending now; resolves with how many rows went out. */
  async flush(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.publishBatch();
      total += n;
      if (n < BATCH) return total;
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

  private async publishBatch(): Promise<number> {
    if (this.subjects?.length === 0) return 0;
    return this.ds.transaction(async (m) => {
      const query = m.createQueryBuilder(OutboxMessageEntity, 'o');
      if (this.subjects) query.where('o.subject IN (:...subjects)', { subjects: this.subjects });
      const rows = await query
        .orderBy('o.id', 'ASC')
        .limit(BATCH)
        .setLock('pessimistic_write')
        .setOnLocked('skip_locked')
        .getMany();
      if (rows.length === 0) return 0;
      for (const row of rows) {
        await this.publisher.publishMessage(
          row.subject,
          row.event,
          row.eventId,
          recordToHeaders(row.headers, natsHeaders()),
        );
      }
      await m.delete(
        OutboxMessageEntity,
        rows.map((r) => r.id),
      );
      return rows.length;
    });
  }
}
