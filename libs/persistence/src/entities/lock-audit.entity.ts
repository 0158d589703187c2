import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** Operator actions on cluster locks (force releases), kept for audit. */
@Entity({ name: 'lock_audit' })
export class LockAuditEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ name: 'lock_key', type: 'text' })
  lockKey: string;

  @Column({ type: 'text' })
  action: string;

  @Column({ name: 'by_whom', type: 'text' })
  byWhom: string;

  @Column({ type: 'text' })
  reason: string;

  /** The lock entry as it was when removed. */
  @Column({ type: 'jsonb', nullable: true })
  removed: Record<string, unknown> | null;

  @CreateDateColumn({ type: 'timestamptz' })
  at: Date;
}
