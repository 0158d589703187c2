import { Column, Entity, PrimaryColumn } from 'typeorm';

/** An approval of one release: asked for by the automatic-update engine (`pending`) or decided by an operator. */
@Entity({ name: 'update_approvals' })
export class UpdateApprovalEntity {
  @PrimaryColumn({ type: 'text' })
  component: string;

  @PrimaryColumn({ type: 'text' })
  version: string;

  /** `pending`, `approved` or `rejected`. */
  @Column({ type: 'text' })
  state: 'pending' | 'approved' | 'rejected';

  /** When the engine asked; null when an operator decided first. */
  @Column({ name: 'requested_at', type: 'timestamptz', nullable: true })
  requestedAt: Date | null;

  @Column({ name: 'decided_at', type: 'timestamptz', nullable: true })
  decidedAt: Date | null;

  /** Name of the token that decided. */
  @Column({ name: 'decided_by', type: 'text', nullable: true })
  decidedBy: string | null;

  @Column({ type: 'text', default: '' })
  reason: string;
}
