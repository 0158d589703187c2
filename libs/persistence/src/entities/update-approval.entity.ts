import type { ApprovalState } from '@lockstep/contracts';
import { Check, Column, Entity, PrimaryColumn } from 'typeorm';
import { APPROVAL_STATE_CHECK } from '../migrations/1765750000000-update-decisions';

/** An approval of one release: asked for by the automatic-update engine (`pending`) or decided by an operator. */
@Entity({ name: 'update_approvals' })
@Check(APPROVAL_STATE_CHECK, `"state" IN ('pending', 'approved', 'rejected')`)
export class UpdateApprovalEntity {
  @PrimaryColumn({ type: 'text' })
  component: string;

  @PrimaryColumn({ type: 'text' })
  version: string;

  /** `pending`, `approved` or `rejected`. */
  @Column({ type: 'text' })
  state: ApprovalState;

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
