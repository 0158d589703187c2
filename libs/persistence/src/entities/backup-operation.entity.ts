import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * One operator-requested backup operation (create, verify, restore, prune). The API inserts
 * it `queued` together with its command in the outbox, so the request cannot be lost; the
 * backup service moves it through running to succeeded or failed and keeps its progress.
 */
@Entity({ name: 'backup_operations' })
@Index('ix_backup_operations_requested', ['requestedAt'])
export class BackupOperationEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  /** create, verify, restore, prune. */
  @Column({ type: 'text' })
  kind: string;

  @Column({ name: 'backup_id', type: 'text', nullable: true })
  backupId: string | null;

  /** queued, running, succeeded, failed. */
  @Column({ type: 'text' })
  state: string;

  /** The command as sent (without secrets: commands carry none). */
  @Column({ type: 'jsonb' })
  request: Record<string, unknown>;

  @Column({ type: 'text', nullable: true })
  step: string | null;

  @Column({ type: 'int', default: 0 })
  percent: number;

  @Column({ type: 'text', nullable: true })
  message: string | null;

  @Column({ type: 'text', nullable: true })
  error: string | null;

  /** What the operation found or did (verify report, restore counts, prune plan). */
  @Column({ type: 'jsonb', nullable: true })
  result: Record<string, unknown> | null;

  @Column({ type: 'int', default: 0 })
  attempts: number;

  @Column({ name: 'requested_at', type: 'timestamptz', default: () => 'now()' })
  requestedAt: Date;

  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt: Date | null;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt: Date | null;
}
