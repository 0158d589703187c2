import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** How a rollout proceeds; percentages are resolved against the selected nodes when planning. */
export interface RolloutStrategy {
  maxParallel: number;
  /** Nodes updated and soaked first. */
  canary: number;
  minHealthyMs: number;
  healthyDeadlineMs: number;
  /** A node that does not finish within this is counted failed. */
  progressDeadlineMs: number;
  /** Failures tolerated before the rollout fails. */
  maxFailures: number;
  autoRollback: boolean;
  /** Wait after each batch but the last (after the canary batch: canarySoakMs). */
  pauseBetweenBatchesMs: number;
  /**
   * Soak after the canary batch, before the next batch starts. Absent in rollouts stored before
   * it existed: those soak as long as pauseBetweenBatchesMs, as they always did.
   */
  canarySoakMs?: number;
  /** Rollback rollouts: restore each node's pre-update backup (of the rollout rolled back) before swapping back. */
  restoreData?: boolean;
}

/** One rolling update of a component to a version across selected nodes. */
@Entity({ name: 'rollouts' })
export class RolloutEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ type: 'text' })
  component: string;

  @Column({ name: 'target_version', type: 'text' })
  targetVersion: string;

  /** upgrade, downgrade or rollback (of another rollout). */
  @Column({ type: 'text' })
  kind: string;

  @Column({ type: 'jsonb' })
  artifact: { uri: string; sha256: string; length: number };

  /** The selector as the operator gave it (`all`, `group=canary`, `node-1,node-2`). */
  @Column({ type: 'text' })
  selector: string;

  @Column({ type: 'jsonb' })
  strategy: RolloutStrategy;

  /** planned, running, paused, succeeded, failed, aborted, rolled_back. */
  @Column({ type: 'text' })
  state: string;

  @Column({ type: 'text', nullable: true })
  reason: string | null;

  /** Fencing token of the conductor that last wrote; older holders cannot write. */
  @Column({ name: 'lock_token', type: 'bigint', default: 0 })
  lockToken: string;

  /** Replica conducting it now. */
  @Column({ type: 'text', nullable: true })
  conductor: string | null;

  /** For kind=rollback: the rollout being undone. */
  @Column({ name: 'rollback_of', type: 'uuid', nullable: true })
  rollbackOf: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt: Date | null;
}
