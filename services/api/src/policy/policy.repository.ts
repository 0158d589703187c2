import { Injectable } from '@nestjs/common';
import type { PolicyFileV1 } from '@lockstep/contracts';
import { appendAudit, PolicyStore, type AuditRecordInput, type PolicyInForce } from '@lockstep/persistence';
import { DataSource } from 'typeorm';

/** A new revision to store, with the audit record that goes with it. */
export interface PolicyWrite {
  revision: number;
  document: PolicyFileV1;
  appliedAt: Date;
  appliedBy: string;
  audit: AuditRecordInput;
}

/** What a change decided: its answer, and the revision to store (none: nothing changes). */
export interface PolicyDecision<T> {
  result: T;
  write?: PolicyWrite;
}

/** Arbitrary, fixed key of the advisory lock that serialises policy changes (the row may not exist yet to lock). */
const POLICY_LOCK_KEY = 7_365_000_013;

/** `update_policy` in Postgres (read through the shared PolicyStore), and the clock changes are stamped with. */
@Injectable()
export class PolicyRepository {
  private readonly store: PolicyStore;

  constructor(private readonly ds: DataSource) {
    this.store = new PolicyStore(ds);
  }

  now(): Date {
    return new Date();
  }

  /** The policy in force (the built-in default, revision 0, when none was applied). */
  current(): Promise<PolicyInForce> {
    return this.store.current();
  }

  /**
   * Runs `decide` on the policy in force, serialised with every other change, and stores the
   * revision it answers together with its audit record in the same transaction. A throw in
   * `decide` changes nothing.
   */
  async change<T>(decide: (current: PolicyInForce) => PolicyDecision<T>): Promise<T> {
    return this.ds.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock($1)`, [POLICY_LOCK_KEY]);
      const { result, write } = decide(await this.store.current(manager));
      if (write) {
        await manager.query(
          `INSERT INTO "update_policy" ("id", "revision", "document", "applied_at", "applied_by")
           VALUES (1, $1, $2::jsonb, $3, $4)
           ON CONFLICT ("id") DO UPDATE SET "revision" = EXCLUDED."revision", "document" = EXCLUDED."document",
             "applied_at" = EXCLUDED."applied_at", "applied_by" = EXCLUDED."applied_by"`,
          [write.revision, JSON.stringify(write.document), write.appliedAt, write.appliedBy],
        );
        await appendAudit(manager, write.audit);
      }
      return result;
    });
  }
}
