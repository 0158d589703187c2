import { Column, Entity, PrimaryColumn } from 'typeorm';
import { OutboxRowColumns } from './outbox-message.entity';

/**
 * An outbox row NATS can never take (too large, a subject no stream captures, a subject the
 * relay may not publish), moved aside with the reason so that later rows go on.
 */
@Entity({ name: 'outbox_dead_letters' })
export class OutboxDeadLetterEntity extends OutboxRowColumns {
  /** The row's id in the outbox (its place in commit order). */
  @PrimaryColumn({ type: 'bigint' })
  id: string;

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
