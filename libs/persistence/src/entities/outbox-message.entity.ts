import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** An event committed with the state change it announces, waiting for the relay to publish it. */
@Entity({ name: 'outbox' })
export class OutboxMessageEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  /** Namespace-relative subject, e.g. `evt.release.available.v1`. */
  @Column({ type: 'text' })
  subject: string;

  /**
   * What the row is about (a component, a rollout; for commands their subject): replicas of the
   * relay publish the rows of one aggregate in commit order.
   */
  @Column({ type: 'text' })
  aggregate: string;

  /** The CloudEvent id; the relay publishes with Nats-Msg-Id set to it. */
  @Column({ name: 'event_id', type: 'text', unique: true })
  eventId: string;

  /** The whole CloudEvent. */
  @Column({ type: 'jsonb' })
  event: Record<string, unknown>;

  /** Trace context (traceparent, tracestate) of the transaction that wrote it. */
  @Column({ type: 'jsonb', default: () => "'{}'" })
  headers: Record<string, string>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
