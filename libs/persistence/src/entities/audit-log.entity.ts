import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * The audit trail: one append-only, hash-chained record per mutation and per decision the
 * control plane takes on its own. Written only through `appendAudit`, inside the transaction
 * of the change it records; a trigger refuses UPDATE, DELETE and TRUNCATE.
 */
@Entity({ name: 'audit_log' })
@Index('ix_audit_log_at', ['at'])
export class AuditLogEntity {
  /**
   * Position in the chain: 1, 2, 3, … without gaps. Assigned from the chain head under its row
   * lock (not a sequence, which would leave gaps on rollback and make them look like removals).
   */
  @PrimaryColumn({ type: 'bigint' })
  id: string;

  @Column({ type: 'timestamptz' })
  at: Date;

  /** `token` or `system`. */
  @Column({ name: 'actor_kind', type: 'text' })
  actorKind: string;

  /** The token's id, or the service's name. */
  @Column({ name: 'actor_id', type: 'text' })
  actorId: string;

  @Column({ name: 'actor_name', type: 'text' })
  actorName: string;

  /** The token's role; null for the system or a request without a valid token. */
  @Column({ type: 'text', nullable: true })
  role: string | null;

  /** What was done, e.g. `rollout.create`, `lock.release`, `request.refused`. */
  @Column({ type: 'text' })
  action: string;

  /** What it was done to, e.g. a rollout id, a lock key, a route. */
  @Column({ type: 'text' })
  target: string;

  /** The request's parameters with secrets removed. */
  @Column({ type: 'jsonb' })
  params: Record<string, unknown>;

  /** The client's address; null for the system. */
  @Column({ type: 'text', nullable: true })
  source: string | null;

  /** `ok`, `refused` or `failed`. */
  @Column({ type: 'text' })
  outcome: string;

  /** The previous record's hash (64 zeros for the first). */
  @Column({ name: 'prev_hash', type: 'text' })
  prevHash: string;

  /** SHA-256 (hex) of this record's canonical JSON, which includes `prevHash`. */
  @Column({ type: 'text' })
  hash: string;
}

/**
 * The chain's head: one row naming the last record and its hash. Appends lock it (so the chain
 * is serialised) and move it forward in the same transaction; a trigger lets it only advance by
 * one. It makes the removal of the newest records detectable.
 */
@Entity({ name: 'audit_head' })
export class AuditHeadEntity {
  /** Always 1. */
  @PrimaryColumn({ type: 'integer' })
  id: number;

  /** The last record's id; 0 while the trail is empty. */
  @Column({ name: 'last_id', type: 'bigint' })
  lastId: string;

  @Column({ name: 'last_hash', type: 'text' })
  lastHash: string;
}
