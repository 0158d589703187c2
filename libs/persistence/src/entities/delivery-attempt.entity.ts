import { Column, Entity, PrimaryGeneratedColumn, Unique } from 'typeorm';

/** One HTTP attempt of a delivery, kept for `lockstep deliveries`. */
@Entity({ name: 'delivery_attempts' })
@Unique('uq_attempt_delivery_number', ['deliveryId', 'attempt'])
export class DeliveryAttemptEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ name: 'delivery_id', type: 'text' })
  deliveryId: string;

  @Column({ type: 'int' })
  attempt: number;

  @Column({ name: 'started_at', type: 'timestamptz' })
  startedAt: Date;

  @Column({ name: 'duration_ms', type: 'int' })
  durationMs: number;

  /** delivered, retry, gone, refused, failed_permanently. */
  @Column({ type: 'text' })
  outcome: string;

  @Column({ name: 'status_code', type: 'int', nullable: true })
  statusCode: number | null;

  /** First bytes of the response body. */
  @Column({ name: 'response_snippet', type: 'text', nullable: true })
  responseSnippet: string | null;

  @Column({ type: 'text', nullable: true })
  error: string | null;
}
