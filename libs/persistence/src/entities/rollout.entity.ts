import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { RolloutState, RolloutStrategyV1, SkippedNodeV1 } from '@lockstep/contracts';
import { ONE_ACTIVE_ROLLOUT_INDEX } from '../migrations/1765608000000-one-active-rollout';

/** How a rollout proceeds (the API shows it as stored, so its shape is the contracts' RolloutStrategyV1). */
export type RolloutStrategy = RolloutStrategyV1;

/**
 * One rolling update of a component to a version across selected nodes. At most one is planned,
 * running or paused at a time: a partial unique index on an expression (migration
 * OneActiveRollout1765608000000), which TypeORM cannot describe, so it leaves the index alone.
 */
@Entity({ name: 'rollouts' })
@Index(ONE_ACTIVE_ROLLOUT_INDEX, { synchronize: false })
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
  state: RolloutState;

  @Column({ type: 'text', nullable: true })
  reason: string | null;

  /** Fencing token of the conductor that last wrote; older holders cannot write. */
  @Column({ name: 'lock_token', type: 'bigint', default: 0 })
  lockToken: string;

  /** Replica conducting it now. */
  @Column({ type: 'text', nullable: true })
  conductor: string | null;

  /** Selected nodes it left out (lost ones) and why; empty for rollouts planned before it was recorded. */
  @Column({ type: 'jsonb', default: () => "'[]'" })
  skipped: SkippedNodeV1[];

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
