import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** A component Lockstep keeps up to date, and where its releases come from. */
@Entity({ name: 'components' })
export class ComponentEntity {
  /** Unique name, e.g. `demo-app`. */
  @PrimaryColumn({ type: 'text' })
  name: string;

  /** Version scheme id (`semver`, `abr`). */
  @Column({ type: 'text', default: 'semver' })
  scheme: string;

  /** Channel whose releases are offered (`stable`, `beta`, `alpha`). */
  @Column({ type: 'text', default: 'stable' })
  channel: string;

  /** Version the component runs now; null before the first install is known. */
  @Column({ name: 'current_version', type: 'text', nullable: true })
  currentVersion: string | null;

  /** Release source plugin id (`tuf`, `npm`). */
  @Column({ name: 'source_type', type: 'text' })
  sourceType: string;

  /** Plugin settings, validated by the plugin's schema. */
  @Column({ name: 'source_config', type: 'jsonb', default: () => "'{}'" })
  sourceConfig: Record<string, unknown>;

  /** What it needs of other components: name → version range (`{}` for nothing). */
  @Column({ type: 'jsonb', default: () => "'{}'" })
  requires: Record<string, string>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
