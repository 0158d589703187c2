import { Column, Entity, PrimaryColumn } from 'typeorm';

/** What a release source plugin remembers between checks of one component. */
@Entity({ name: 'source_states' })
export class SourceStateEntity {
  @PrimaryColumn({ type: 'text' })
  component: string;

  /** Opaque plugin state: ETags, trusted TUF metadata, verified targets. */
  @Column({ type: 'jsonb', default: () => "'{}'" })
  state: Record<string, unknown>;

  @Column({ name: 'last_checked_at', type: 'timestamptz', nullable: true })
  lastCheckedAt: Date | null;

  /** Code and reason of the last failed check; null after a good one. */
  @Column({ name: 'last_error_code', type: 'text', nullable: true })
  lastErrorCode: string | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError: string | null;
}
