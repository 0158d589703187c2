import { Column, CreateDateColumn, Entity, PrimaryColumn, Unique } from 'typeorm';

/** A release announced with `release.available`; the unique key makes that happen once per component version. */
@Entity({ name: 'announced_releases' })
@Unique('uq_announced_component_version', ['component', 'version'])
export class AnnouncedReleaseEntity {
  /** Also the CloudEvent id of the announcement. */
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ type: 'text' })
  component: string;

  @Column({ type: 'text' })
  version: string;

  @Column({ type: 'text' })
  kind: string;

  @Column({ type: 'text' })
  channel: string;

  @Column({ type: 'boolean', default: false })
  security: boolean;

  @Column({ type: 'boolean', default: false })
  breaking: boolean;

  @Column({ type: 'boolean', default: false })
  hotfix: boolean;

  @Column({ name: 'artifact_uri', type: 'text' })
  artifactUri: string;

  @Column({ type: 'text' })
  sha256: string;

  @Column({ type: 'bigint' })
  length: string;

  @Column({ type: 'text', default: '' })
  notes: string;

  /** What the release needs of other components, from its signed metadata: name → version range. */
  @Column({ type: 'jsonb', default: () => "'{}'" })
  requires: Record<string, string>;

  @CreateDateColumn({ name: 'announced_at', type: 'timestamptz' })
  announcedAt: Date;
}
