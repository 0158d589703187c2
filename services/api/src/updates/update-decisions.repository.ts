import { Injectable } from '@nestjs/common';
import type { ApprovalDecision, AuditActor } from '@lockstep/contracts';
import {
  UpdateDecisionsStore,
  type ActiveHold,
  type ApprovalRecord,
  type HoldRecord,
  type NewHold,
} from '@lockstep/persistence';
import { DataSource } from 'typeorm';

/** What a hold request came to: the new hold, or the live one that was already there (nothing changed). */
export type HoldOutcome = { created: HoldRecord } | { existing: HoldRecord };

/** Approvals and holds in Postgres (through the shared {@link UpdateDecisionsStore}), what the checker announced, and the clock. */
@Injectable()
export class UpdateDecisionsRepository {
  private readonly store: UpdateDecisionsStore;

  constructor(private readonly ds: DataSource) {
    this.store = new UpdateDecisionsStore(ds);
  }

  /** The time decisions and holds are recorded at. */
  now(): Date {
    return new Date();
  }

  approvals(): Promise<ApprovalRecord[]> {
    return this.store.approvals();
  }

  holds(): Promise<ActiveHold[]> {
    return this.store.activeHolds();
  }

  /** Versions of `component` the checker announced, newest first (empty: none, or no such component). */
  async announcedVersions(component: string): Promise<string[]> {
    const rows: Array<{ version: string }> = await this.ds.query(
      `SELECT "version" FROM "announced_releases" WHERE "component" = $1 ORDER BY "announced_at" DESC, "version" DESC`,
      [component],
    );
    return rows.map((r) => r.version);
  }

  /** Names of the registered components, sorted. */
  async componentNames(): Promise<string[]> {
    const rows: Array<{ name: string }> = await this.ds.query(`SELECT "name" FROM "components" ORDER BY "name"`);
    return rows.map((r) => r.name);
  }

  /** Records an approval or rejection and its audit record in one transaction. */
  decide(d: {
    component: string;
    version: string;
    state: ApprovalDecision;
    reason: string;
    actor: AuditActor;
    at: Date;
  }): Promise<{ approval: ApprovalRecord; previous: ApprovalRecord | null }> {
    return this.ds.transaction((m) => this.store.decide(m, d));
  }

  /** Creates a hold with its audit record and `update.held` in one transaction, unless a live one is there. */
  hold(h: NewHold): Promise<HoldOutcome> {
    return this.ds.transaction(async (m) => {
      const created = await this.store.hold(m, h);
      if (created) return { created };
      const existing = await this.store.liveHold(m, h.component, h.version);
      // released between the insert and this read: the caller may try again
      if (!existing) throw new Error(`the live hold on ${h.component} went while a new one was refused; try again`);
      return { existing };
    });
  }

  /** Releases the live hold and records it in one transaction; null when there is none. */
  releaseHold(r: {
    component: string;
    version: string | null;
    actor: AuditActor;
    at: Date;
  }): Promise<HoldRecord | null> {
    return this.ds.transaction((m) => this.store.releaseHold(m, r));
  }
}
