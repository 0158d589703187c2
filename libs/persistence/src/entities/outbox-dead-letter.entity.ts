import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * An outbox row NATS can never take (too large, a subject no stream captures, a subject the
 * relay may not publish), moved aside with the reason so that later rows go on.
 */
@Entity({ name: 'outbox_dead_letters' })
export class OutboxDeadLetterEntity {
  /** The row's id in the outbox (its place in commit order). */
  @PrimaryColumn({ type: 'bigint' })
  id: string;

  /** Namespace-relative subject it was to be published on. */
  @Column({ type: 'text' })
  subject: string;

  /** The CloudEvent id or command id (its Nats-Msg-Id). */
  @Column({ name: 'event_id', type: 'text' })
  eventId: string;

  /** What the row was about (see OutboxMessageEntity.aggregate). */
  @Column({ type: 'text' })
  aggregate: string;

  /** The whole event or command. */
  @Column({ type: 'jsonb' })
  event: Record<string, unknown>;

  /** Trace context of the transaction that wrote it. */
  @Column({ type: 'jsonb', default: () => "'{}'" })
  headers: Record<string, string>;

  /** When it was written to the outbox. */
  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  /** Why NATS can never take it, as the relay was told. */
  @Column({ type: 'text' })
  reason: string;

  /** When the relay moved it here. */
  @Column({ name: 'dead_lettered_at', type: 'timestamptz', default: () => 'now()' })
  deadLetteredAt: Date;
}
