import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';

/** The columns an outbox row keeps wherever it is: waiting in `outbox`, or in `outbox_dead_letters`. */
export abstract class OutboxRowColumns {
  /** Namespace-relative subject, e.g. `evt.release.available.v1`. */
  @Column({ type: 'text' })
  subject: string;

  /**
   * What the row is about (a component, a rollout; for commands their subject): replicas of the
   * relay publish the rows of one aggregate in commit order.
   */
  @Column({ type: 'text' })
  aggregate: string;

  /** The CloudEvent id (or a command's id); the relay publishes with Nats-Msg-Id set to it. */
  @Column({ name: 'event_id', type: 'text' })
  eventId: string;

  /** The whole CloudEvent, or a command's body. */
  @Column({ type: 'jsonb' })
  event: Record<string, unknown>;

  /** Trace context (traceparent, tracestate) of the transaction that wrote it. */
  @Column({ type: 'jsonb', default: () => "'{}'" })
  headers: Record<string, string>;
}

/** An event committed with the state change it announces, waiting for the relay to publish it. */
@Entity({ name: 'outbox' })
@Unique('UQ_outbox_event_id', ['eventId'])
/** The relay looks for earlier rows of an aggregate. */
@Index('ix_outbox_aggregate_id', ['aggregate', 'id'])
export class OutboxMessageEntity extends OutboxRowColumns {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
