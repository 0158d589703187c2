import { randomUUID } from 'node:crypto';
import {
  releaseHoldCommand,
  Subjects,
  systemActor,
  type ApprovalDecision,
  type ApprovalState,
  type AuditActor,
  type PolicyHold,
} from '@lockstep/contracts';
import type { DataSource, EntityManager } from 'typeorm';
import { appendAudit } from '../audit';
import { enqueueEvent } from '../outbox/outbox';

/** Audit actions of approvals and holds. */
export const UpdateDecisionAuditAction = {
  RequestApproval: 'update.request-approval',
  Approve: 'update.approve',
  Reject: 'update.reject',
  HoldCreate: 'hold.create',
  HoldRelease: 'hold.release',
} as const;

/** One row of `update_approvals`. */
export interface ApprovalRecord {
  component: string;
  version: string;
  state: ApprovalState;
  requestedAt: Date | null;
  decidedAt: Date | null;
  decidedBy: string | null;
  reason: string;
}

/** One row of `update_holds`; `version` null: every version. */
export interface HoldRecord {
  id: string;
  component: string;
  version: string | null;
  reason: string;
  automatic: boolean;
  createdAt: Date;
  createdBy: string;
  releasedAt: Date | null;
  releasedBy: string | null;
}

/** A live hold as the policy's `decide` takes it (`version` absent: every version), with who and when. */
export interface ActiveHold extends PolicyHold {
  id: string;
  component: string;
  automatic: boolean;
  createdAt: Date;
  createdBy: string;
}

/** A hold to create. */
export interface NewHold {
  component: string;
  /** Null: every version. */
  version: string | null;
  reason: string;
  automatic: boolean;
  actor: AuditActor;
  at: Date;
}

interface ApprovalRow {
  component: string;
  version: string;
  state: ApprovalState;
  requested_at: Date | null;
  decided_at: Date | null;
  decided_by: string | null;
  reason: string;
}

interface HoldRow {
  id: string;
  component: string;
  version: string | null;
  reason: string;
  automatic: boolean;
  created_at: Date;
  created_by: string;
  released_at: Date | null;
  released_by: string | null;
}

const toApproval = (r: ApprovalRow): ApprovalRecord => ({
  component: r.component,
  version: r.version,
  state: r.state,
  requestedAt: r.requested_at,
  decidedAt: r.decided_at,
  decidedBy: r.decided_by,
  reason: r.reason,
});

const toHold = (r: HoldRow): HoldRecord => ({
  id: r.id,
  component: r.component,
  version: r.version,
  reason: r.reason,
  automatic: r.automatic,
  createdAt: r.created_at,
  createdBy: r.created_by,
  releasedAt: r.released_at,
  releasedBy: r.released_by,
});

/** The CloudEvent source of an actor's changes: `/lockstep/<service>` for the control plane, the API's for a token. */
const sourceOf = (actor: AuditActor): string => `/lockstep/${actor.kind === 'system' ? actor.id : 'api'}`;

/**
 * Approvals and holds in Postgres: what the automatic-update engine reads (approvals of a
 * component, live holds), what it writes (a pending approval, an automatic hold), and the
 * operators' decisions the API records. Every change is audited, and a new hold announced
 * (`update.held`), in the caller's transaction.
 */
export class UpdateDecisionsStore {
  constructor(private readonly ds: DataSource) {}

  /** Every approval of `component`'s releases: version → state. */
  async approvalsOf(component: string, manager: EntityManager = this.ds.manager): Promise<Map<string, ApprovalState>> {
    const rows: Array<Pick<ApprovalRow, 'version' | 'state'>> = await manager.query(
      `SELECT "version", "state" FROM "update_approvals" WHERE "component" = $1`,
      [component],
    );
    return new Map(rows.map((r) => [r.version, r.state]));
  }

  /** Every approval: pending ones first (oldest request first), then decisions, newest first. */
  async approvals(manager: EntityManager = this.ds.manager): Promise<ApprovalRecord[]> {
    const rows: ApprovalRow[] = await manager.query(
      `SELECT * FROM "update_approvals"
       ORDER BY ("state" = 'pending') DESC,
         CASE WHEN "state" = 'pending' THEN "requested_at" END ASC,
         "decided_at" DESC NULLS LAST, "component", "version"`,
    );
    return rows.map(toApproval);
  }

  /** Live holds, of one component or of all, oldest first. */
  async activeHolds(component?: string, manager: EntityManager = this.ds.manager): Promise<ActiveHold[]> {
    const rows: HoldRow[] = await manager.query(
      `SELECT * FROM "update_holds" WHERE "released_at" IS NULL AND ($1::text IS NULL OR "component" = $1)
       ORDER BY "created_at", "component", "version" NULLS FIRST`,
      [component ?? null],
    );
    return rows.map((r) => ({
      id: r.id,
      component: r.component,
      ...(r.version === null ? {} : { version: r.version }),
      reason: r.reason,
      automatic: r.automatic,
      createdAt: r.created_at,
      createdBy: r.created_by,
    }));
  }

  /** The live hold on `component` (or one version of it; null: the hold on every version), if any. */
  async liveHold(manager: EntityManager, component: string, version: string | null): Promise<HoldRecord | null> {
    const rows: HoldRow[] = await manager.query(
      `SELECT * FROM "update_holds" WHERE "component" = $1 AND coalesce("version", '') = coalesce($2::text, '') AND "released_at" IS NULL`,
      [component, version],
    );
    return rows[0] ? toHold(rows[0]) : null;
  }

  /**
   * The engine asks for approval of a release: inserts it `pending` unless the release already
   * has an approval (asked or decided). True when it inserted (then the caller announces
   * `update.approval_requested`); audited as the scheduler's.
   */
  async requestApproval(manager: EntityManager, component: string, version: string, at: Date): Promise<boolean> {
    const rows: unknown[] = await manager.query(
      `INSERT INTO "update_approvals" ("component", "version", "state", "requested_at") VALUES ($1, $2, 'pending', $3)
       ON CONFLICT ("component", "version") DO NOTHING RETURNING 1`,
      [component, version, at],
    );
    if (!rows.length) return false;
    await appendAudit(manager, {
      actor: systemActor('scheduler'),
      action: UpdateDecisionAuditAction.RequestApproval,
      target: `${component}@${version}`,
      at,
    });
    return true;
  }

  /**
   * Records an operator's decision on a release (asked for or not), replacing an earlier one;
   * answers the approval as it now stands and as it stood before (null: no row). The row is
   * locked first, so two decisions at once are recorded one after the other.
   */
  async decide(
    manager: EntityManager,
    d: { component: string; version: string; state: ApprovalDecision; reason: string; actor: AuditActor; at: Date },
  ): Promise<{ approval: ApprovalRecord; previous: ApprovalRecord | null }> {
    const before: ApprovalRow[] = await manager.query(
      `SELECT * FROM "update_approvals" WHERE "component" = $1 AND "version" = $2 FOR UPDATE`,
      [d.component, d.version],
    );
    const rows: ApprovalRow[] = await manager.query(
      `INSERT INTO "update_approvals" ("component", "version", "state", "decided_at", "decided_by", "reason")
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT ("component", "version") DO UPDATE SET "state" = EXCLUDED."state",
         "decided_at" = EXCLUDED."decided_at", "decided_by" = EXCLUDED."decided_by", "reason" = EXCLUDED."reason"
       RETURNING *`,
      [d.component, d.version, d.state, d.at, d.actor.name, d.reason],
    );
    const previous = before[0] ? toApproval(before[0]) : null;
    await appendAudit(manager, {
      actor: d.actor,
      action: d.state === 'approved' ? UpdateDecisionAuditAction.Approve : UpdateDecisionAuditAction.Reject,
      target: `${d.component}@${d.version}`,
      params: { reason: d.reason, replaced: previous?.state ?? null },
      at: d.at,
    });
    return { approval: toApproval(rows[0]), previous };
  }

  /**
   * Creates a hold unless the same component/version already has a live one (then null, and
   * nothing changed); audited and announced (`update.held`) in the caller's transaction.
   */
  async hold(manager: EntityManager, h: NewHold): Promise<HoldRecord | null> {
    const rows: HoldRow[] = await manager.query(
      `INSERT INTO "update_holds" ("id", "component", "version", "reason", "automatic", "created_at", "created_by")
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT ("component", coalesce("version", '')) WHERE "released_at" IS NULL DO NOTHING RETURNING *`,
      [randomUUID(), h.component, h.version, h.reason, h.automatic, h.at, h.actor.name],
    );
    if (!rows[0]) return null;
    const hold = toHold(rows[0]);
    await appendAudit(manager, {
      actor: h.actor,
      action: UpdateDecisionAuditAction.HoldCreate,
      target: hold.id,
      params: { component: h.component, version: h.version, reason: h.reason, automatic: h.automatic },
      at: h.at,
    });
    await enqueueEvent(
      manager,
      Subjects.UpdateHeld,
      {
        component: h.component,
        version: h.version,
        reason: h.reason,
        automatic: h.automatic,
        by: h.actor.name,
        releaseWith: releaseHoldCommand(h.component, h.version),
      },
      { source: sourceOf(h.actor), subject: h.component },
    );
    return hold;
  }

  /**
   * The engine holds a release whose automatic rollout failed and rolled back (`reason` says
   * so); true when it created the hold, false when one was already live.
   */
  async holdAutomatically(
    manager: EntityManager,
    component: string,
    version: string,
    reason: string,
    at: Date = new Date(),
  ): Promise<boolean> {
    const made = await this.hold(manager, {
      component,
      version,
      reason,
      automatic: true,
      actor: systemActor('scheduler'),
      at,
    });
    return made !== null;
  }

  /** Releases the live hold on `component` (or one version; null: every version); null when there is none. */
  async releaseHold(
    manager: EntityManager,
    r: { component: string; version: string | null; actor: AuditActor; at: Date },
  ): Promise<HoldRecord | null> {
    // TypeORM answers an UPDATE … RETURNING as [rows, affected count].
    const [rows]: [HoldRow[], number] = await manager.query(
      `UPDATE "update_holds" SET "released_at" = $3, "released_by" = $4
       WHERE "component" = $1 AND coalesce("version", '') = coalesce($2::text, '') AND "released_at" IS NULL RETURNING *`,
      [r.component, r.version, r.at, r.actor.name],
    );
    if (!rows[0]) return null;
    const hold = toHold(rows[0]);
    await appendAudit(manager, {
      actor: r.actor,
      action: UpdateDecisionAuditAction.HoldRelease,
      target: hold.id,
      params: { component: r.component, version: r.version, reason: hold.reason },
      at: r.at,
    });
    return hold;
  }
}
