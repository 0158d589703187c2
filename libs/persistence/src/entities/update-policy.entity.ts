import { Check, Column, Entity, PrimaryColumn } from 'typeorm';

/** The update policy in force: one row (id 1) or none (the built-in default). See PolicyStore. */
@Entity({ name: 'update_policy' })
@Check('update_policy_id_check', '"id" = 1')
export class UpdatePolicyEntity {
  /** Always 1: there is one policy per control plane. */
  @PrimaryColumn({ type: 'smallint' })
  id: number;

  /** Grows by one at each change (the built-in default counts as 0). */
  @Column({ type: 'integer' })
  revision: number;

  /** The policy file (PolicyFileV1), validated before it was stored. */
  @Column({ type: 'jsonb' })
  document: unknown;

  @Column({ name: 'applied_at', type: 'timestamptz', default: () => 'now()' })
  appliedAt: Date;

  /** The name of the token that applied it. */
  @Column({ name: 'applied_by', type: 'text' })
  appliedBy: string;
}
