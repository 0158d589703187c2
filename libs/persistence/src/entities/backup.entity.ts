import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * The backup catalogue: one row per backup, written by the backup service from its own runs
 * and from `evt.backup.changed.v1` events of node agents. The manifest in the bucket is the
 * truth about what a backup holds; this row is what operators list and filter.
 */
@Entity({ name: 'backups' })
@Index('ix_backups_created', ['createdAt'])
export class BackupEntity {
  /** Backup name, also the manifest's id. */
  @PrimaryColumn({ type: 'text' })
  id: string;

  /** full, database, config, data_only. */
  @Column({ type: 'text' })
  type: string;

  /** manual, pre-update, schedule. */
  @Column({ type: 'text' })
  trigger: string;

  /** creating, completed, failed, verified, corrupted, pruned. */
  @Column({ type: 'text' })
  status: string;

  @Column({ type: 'text' })
  component: string;

  @Column({ name: 'component_version', type: 'text', nullable: true })
  componentVersion: string | null;

  @Column({ name: 'node_id', type: 'text', nullable: true })
  nodeId: string | null;

  @Column({ name: 'rollout_id', type: 'text', nullable: true })
  rolloutId: string | null;

  @Column({ type: 'text', default: '' })
  description: string;

  @Column({ type: 'boolean', default: false })
  encrypted: boolean;

  @Column({ type: 'boolean', default: true })
  compressed: boolean;

  @Column({ name: 'size_bytes', type: 'bigint', default: 0 })
  sizeBytes: string;

  @Column({ name: 'stored_bytes', type: 'bigint', default: 0 })
  storedBytes: string;

  @Column({ name: 'uploaded_bytes', type: 'bigint', default: 0 })
  uploadedBytes: string;

  @Column({ type: 'int', default: 0 })
  files: number;

  @Column({ type: 'int', default: 0 })
  packs: number;

  @Column({ name: 'duration_ms', type: 'int', default: 0 })
  durationMs: number;

  @Column({ type: 'text', nullable: true })
  error: string | null;

  @Column({ name: 'corrupted_packs', type: 'jsonb', default: () => "'[]'" })
  corruptedPacks: string[];

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true })
  completedAt: Date | null;

  @Column({ name: 'verified_at', type: 'timestamptz', nullable: true })
  verifiedAt: Date | null;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;
}
