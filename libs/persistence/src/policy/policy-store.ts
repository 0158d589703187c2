import { Inject, Injectable } from '@nestjs/common';
import { DEFAULT_POLICY_FILE, PolicyFileV1 } from '@lockstep/contracts';
import { DataSource, type EntityManager } from 'typeorm';

/** The update policy in force, as {@link PolicyStore.current} reads it. */
export interface PolicyInForce {
  /** Grows by one at each change; 0: the built-in default (no policy was ever applied). */
  revision: number;
  /** The policy file, validated. */
  document: PolicyFileV1;
  /** When this revision was applied; null for the built-in default. */
  appliedAt: Date | null;
  /** The name of the token that applied it; null for the built-in default. */
  appliedBy: string | null;
}

interface PolicyRow {
  revision: number;
  document: unknown;
  applied_at: Date;
  applied_by: string;
}

/** Reads the update policy in force from `update_policy` (the API writes it; the scheduler decides by it). */
@Injectable()
export class PolicyStore {
  constructor(@Inject(DataSource) private readonly ds: DataSource) {}

  /**
   * The policy in force: the stored row, or the built-in default (revision 0, nothing installs on
   * its own) when none was ever applied. `manager`: read inside the caller's transaction.
   */
  async current(manager?: EntityManager): Promise<PolicyInForce> {
    const rows: PolicyRow[] = await (manager ?? this.ds).query(
      `SELECT "revision", "document", "applied_at", "applied_by" FROM "update_policy" WHERE "id" = 1`,
    );
    const row = rows[0];
    if (!row) return { revision: 0, document: structuredClone(DEFAULT_POLICY_FILE), appliedAt: null, appliedBy: null };
    const parsed = PolicyFileV1.safeParse(row.document);
    if (!parsed.success)
      throw new Error(
        `the update policy stored in update_policy (revision ${row.revision}) no longer validates (${parsed.error.issues[0]?.message}); apply a valid one with \`lockstep policy apply -f FILE\``,
      );
    return { revision: row.revision, document: parsed.data, appliedAt: row.applied_at, appliedBy: row.applied_by };
  }
}
