import { Column, CreateDateColumn, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/**
 * Columns shared by the stored objects of automatic updates (schedules, maintenance windows):
 * an id, a unique name, a validated spec, the components covered, an enabled flag and who made
 * it when. Each entity adds its own columns and its unique constraint on `name`.
 */
export abstract class NamedSpecColumns {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  /** Lowercase letters, digits and dashes; what the CLI, API and policies name it by. */
  @Column({ type: 'text' })
  name: string;

  /** The validated spec (a contracts schema: ScheduleSpecV1 or MaintenanceWindowSpecV1). */
  @Column({ type: 'jsonb' })
  spec: Record<string, unknown>;

  /** Components it covers; empty: every component. */
  @Column({ type: 'text', array: true, default: () => "'{}'" })
  components: string[];

  @Column({ type: 'boolean', default: true })
  enabled: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  /** Name of the token that created it. */
  @Column({ name: 'created_by', type: 'text' })
  createdBy: string;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
