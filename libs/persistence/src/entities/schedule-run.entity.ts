import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { UpdateScheduleEntity } from './update-schedule.entity';

/**
 * One run of a schedule, written by the replica that fired it. The key is
 * `runKey(schedule id, due instant)`, so a run is recorded (and fired) once across replicas.
 */
@Entity({ name: 'schedule_runs' })
@Index('ix_schedule_runs_schedule_due', ['scheduleId', 'dueAt'])
export class ScheduleRunEntity {
  @PrimaryColumn({ name: 'run_key', type: 'text' })
  runKey: string;

  @Column({ name: 'schedule_id', type: 'uuid' })
  scheduleId: string;

  @ManyToOne(() => UpdateScheduleEntity, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'schedule_id', foreignKeyConstraintName: 'fk_schedule_runs_schedule' })
  schedule?: UpdateScheduleEntity;

  /** The instant the run was due. */
  @Column({ name: 'due_at', type: 'timestamptz' })
  dueAt: Date;

  @Column({ name: 'fired_at', type: 'timestamptz', default: () => 'now()' })
  firedAt: Date;

  /** Which replica fired it. */
  @Column({ type: 'text' })
  replica: string;

  /** `started`, `nothing-to-do`, `skipped-missed` or `failed`. */
  @Column({ type: 'text' })
  outcome: string;

  /** Rollouts the run started. */
  @Column({ name: 'rollout_ids', type: 'uuid', array: true, default: () => "'{}'" })
  rolloutIds: string[];

  /** What happened, in words (why it failed, why nothing was to do). */
  @Column({ type: 'text', default: '' })
  detail: string;
}
