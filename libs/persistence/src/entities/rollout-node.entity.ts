import type { RolloutNodeStatus } from '@lockstep/contracts';
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** One node's part in a rollout: its batch, what it ran before, and how its install went. */
@Entity({ name: 'rollout_nodes' })
@Index('ix_rollout_nodes_command', ['commandId'])
@Index('ix_rollout_nodes_withdraw', ['withdrawSeq'], { where: '"withdraw_seq" IS NOT NULL' })
export class RolloutNodeEntity {
  @PrimaryColumn({ name: 'rollout_id', type: 'uuid' })
  rolloutId: string;

  @PrimaryColumn({ name: 'node_id', type: 'text' })
  nodeId: string;

  /** 0 is the canary batch when the strategy has canaries. */
  @Column({ type: 'int' })
  batch: number;

  @Column({ type: 'boolean', default: false })
  canary: boolean;

  @Column({ name: 'from_version', type: 'text', nullable: true })
  fromVersion: string | null;

  /** Where the node stands (the scheduler's rollout state machine moves it). */
  @Column({ type: 'text', default: 'pending' })
  status: RolloutNodeStatus;

  /** Idempotency key of the last command sent to the node. */
  @Column({ name: 'command_id', type: 'text', nullable: true })
  commandId: string | null;

  /** Stream sequence of that command in COMMANDS (recorded once published). */
  @Column({ name: 'command_seq', type: 'bigint', nullable: true })
  commandSeq: string | null;

  /** Stream sequence of an install to withdraw (it timed out); cleared once NATS deleted it. */
  @Column({ name: 'withdraw_seq', type: 'bigint', nullable: true })
  withdrawSeq: string | null;

  @Column({ type: 'text', nullable: true })
  step: string | null;

  @Column({ type: 'int', default: 0 })
  percent: number;

  @Column({ type: 'text', nullable: true })
  error: string | null;

  /** The node's pre-update backup for this install (what `rollback --restore-data` restores). */
  @Column({ name: 'backup_id', type: 'text', nullable: true })
  backupId: string | null;

  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt: Date | null;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt: Date | null;
}
