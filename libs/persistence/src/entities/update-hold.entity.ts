import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { ONE_LIVE_HOLD_INDEX } from '../migrations/1765750000000-update-decisions';

/** A hold that stops automatic installs of a component (`version` null) or one version; live while `releasedAt` is null. */
@Entity({ name: 'update_holds' })
// on (component, coalesce(version, '')) where released_at is null: an expression TypeORM cannot declare
@Index(ONE_LIVE_HOLD_INDEX, { synchronize: false })
export class UpdateHoldEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ type: 'text' })
  component: string;

  /** The held version; null: every version. */
  @Column({ type: 'text', nullable: true })
  version: string | null;

  @Column({ type: 'text' })
  reason: string;

  /** Held by the control plane (an automatic rollout of the release failed and rolled back). */
  @Column({ type: 'boolean', default: false })
  automatic: boolean;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  /** A token's name, or the service that held it. */
  @Column({ name: 'created_by', type: 'text' })
  createdBy: string;

  @Column({ name: 'released_at', type: 'timestamptz', nullable: true })
  releasedAt: Date | null;

  @Column({ name: 'released_by', type: 'text', nullable: true })
  releasedBy: string | null;
}
