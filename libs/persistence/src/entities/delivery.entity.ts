import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, Unique } from 'typeorm';
import { DeliveryStatus } from '@lockstep/contracts';

/** One event on its way to one subscription. Its id is the stable `webhook-id`. */
@Entity({ name: 'deliveries' })
@Unique('uq_delivery_event_subscription', ['eventId', 'subscriptionId'])
@Index('ix_delivery_due', ['status', 'nextAttemptAt'])
export class DeliveryEntity {
  @PrimaryColumn({ type: 'text' })
  id: string;

  @Column({ name: 'event_id', type: 'text' })
  eventId: string;

  @Column({ name: 'subscription_id', type: 'uuid' })
  subscriptionId: string;

  /** Short event name, e.g. `release.available`. */
  @Column({ name: 'event_name', type: 'text' })
  eventName: string;

  @Column({ type: 'jsonb' })
  event: Record<string, unknown>;

  /** Trace context of the consumer that created it. */
  @Column({ type: 'jsonb', default: () => "'{}'" })
  trace: Record<string, string>;

  @Column({ type: 'text', default: DeliveryStatus.Pending })
  status: DeliveryStatus;

  @Column({ type: 'int', default: 0 })
  attempts: number;

  @Column({ name: 'next_attempt_at', type: 'timestamptz' })
  nextAttemptAt: Date;

  /** A worker holds the delivery until then; a crashed worker's lease simply runs out. */
  @Column({ name: 'lease_until', type: 'timestamptz', nullable: true })
  leaseUntil: Date | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt: Date | null;

  /** Attempts made before the last dead-letter replay; the retry schedule restarts after it. */
  @Column({ name: 'schedule_base', type: 'int', default: 0 })
  scheduleBase: number;
}
