import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A runtime setting set away from its default (no row: the default is in force). */
@Entity({ name: 'settings' })
export class SettingEntity {
  /** `<category>.<name>`, a key of the contracts' SETTINGS. */
  @PrimaryColumn({ type: 'text' })
  key: string;

  /** The value as on the wire (a duration as written, e.g. `30s`). */
  @Column({ type: 'jsonb' })
  value: boolean | number | string;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;

  /** Name of the token that set it. */
  @Column({ name: 'updated_by', type: 'text' })
  updatedBy: string;
}
