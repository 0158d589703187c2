import { Injectable } from '@nestjs/common';
import {
  type PolicyFileV1,
  type Channel,
  type MaintenanceWindowSpecV1,
  type PolicyHold,
  type Requirements,
  type ScheduleSpecV1,
  type UpdateClass,
  approveCommand,
  Subjects,
} from '@lockstep/contracts';
import { enqueueEvent, PolicyStore, UpdateDecisionsStore } from '@lockstep/persistence';
import { DataSource, type EntityManager } from 'typeorm';
import { rowsOf } from '../rollouts/sql-rows';
import type { ScheduleFacts } from './schedule-runs';
import type { ComponentFacts, ReleaseFacts, WindowFacts } from './update-evaluation';

/** A stored schedule with what it covers. */
export interface StoredSchedule extends ScheduleFacts {
  components: string[];
  classes: UpdateClass[];
}

/** A rollout the scheduler started on its own. */
export interface AutomaticRollout {
  rolloutId: string;
  component: string;
  version: string;
  trigger: string;
  windowName: string | null;
  pausedForWindow: boolean;
  state: string;
  reason: string | null;
  finishedAt: Date | null;
}

/** How an automatic rollout was started, recorded in its own transaction. */
export interface AutomaticStart {
  component: string;
  version: string;
  trigger: 'immediate' | 'window' | 'schedule';
  windowName: string | null;
  run?: { key: string; scheduleId: string; dueAt: Date; replica: string; late: boolean };
}

/** What automatic updates read and record in Postgres (the tables the API writes: policy, windows, schedules, holds, approvals). */
@Injectable()
export class AutomationRepository {
  private readonly policies: PolicyStore;
  private readonly decisions: UpdateDecisionsStore;

  constructor(private readonly ds: DataSource) {
    this.policies = new PolicyStore(ds);
    this.decisions = new UpdateDecisionsStore(ds);
  }

  /** The policy file in force (the built-in default, where nothing installs on its own, when none was applied). */
  async policy(): Promise<PolicyFileV1> {
    return (await this.policies.current()).document;
  }

  async components(name?: string): Promise<ComponentFacts[]> {
    const rows = rowsOf<{ name: string; scheme: string; current_version: string | null; requires: Requirements }>(
      await this.ds.query(
        `SELECT name, scheme, current_version, requires FROM components WHERE $1::text IS NULL OR name = $1 ORDER BY name`,
        [name ?? null],
      ),
    );
    return rows.map((r) => ({
      name: r.name,
      scheme: r.scheme,
      currentVersion: r.current_version,
      requires: r.requires,
    }));
  }

  async releases(component: string): Promise<ReleaseFacts[]> {
    const rows = rowsOf<{
      version: string;
      channel: Channel;
      security: boolean;
      hotfix: boolean;
      breaking: boolean;
      announced_at: Date;
      requires: Requirements;
    }>(
      await this.ds.query(
        `SELECT version, channel, security, hotfix, breaking, announced_at, requires FROM announced_releases WHERE component = $1`,
        [component],
      ),
    );
    return rows.map((r) => ({ ...r, publishedAt: new Date(r.announced_at) }));
  }

  async windows(): Promise<WindowFacts[]> {
    const rows = rowsOf<{
      name: string;
      spec: MaintenanceWindowSpecV1;
      components: string[];
      node_labels: Record<string, string>;
    }>(await this.ds.query(`SELECT name, spec, components, node_labels FROM maintenance_windows WHERE enabled`));
    return rows.map((r) => ({ name: r.name, spec: r.spec, components: r.components, nodeLabels: r.node_labels }));
  }

  /**
   * Enabled schedules with where their recorded runs end. A schedule no replica has seen yet is
   * marked seen (the first mark wins) at when it was created or enabled, or `graceMs` before
   * `now` if that is later, so its runs start there on every replica.
   */
  async schedules(now: Date, graceMs: number): Promise<StoredSchedule[]> {
    // seen late (a long evaluation interval) it still catches a run due since it was created or enabled
    await this.ds.query(
      `UPDATE update_schedules
       SET first_seen_at = GREATEST(updated_at, $1::timestamptz - make_interval(secs => $2::double precision / 1000))
       WHERE enabled AND first_seen_at IS NULL`,
      [now, graceMs],
    );
    const rows = rowsOf<{
      id: string;
      name: string;
      spec: ScheduleSpecV1;
      components: string[];
      classes: UpdateClass[];
      first_seen_at: Date;
      last_due_at: Date | null;
    }>(
      await this.ds.query(
        `SELECT s.id, s.name, s.spec, s.components, s.classes, s.first_seen_at,
                (SELECT max(due_at) FROM schedule_runs r WHERE r.schedule_id = s.id) AS last_due_at
         FROM update_schedules s WHERE s.enabled AND s.first_seen_at IS NOT NULL ORDER BY s.name`,
      ),
    );
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      spec: r.spec,
      components: r.components,
      classes: r.classes,
      firstSeenAt: new Date(r.first_seen_at),
      lastDueAt: r.last_due_at ? new Date(r.last_due_at) : null,
    }));
  }

  async holds(component: string): Promise<PolicyHold[]> {
    return (await this.decisions.activeHolds(component)).map((h) =>
      h.version === undefined ? { reason: h.reason } : { version: h.version, reason: h.reason },
    );
  }

  approvals(component: string): Promise<Map<string, 'pending' | 'approved' | 'rejected'>> {
    return this.decisions.approvalsOf(component);
  }

  /** Automatic rollouts, newest first (of one release when given). */
  async automaticRollouts(
    filter: { component?: string; version?: string; activeOnly?: boolean } = {},
  ): Promise<AutomaticRollout[]> {
    const rows = rowsOf<{
      rollout_id: string;
      component: string;
      version: string;
      trigger: string;
      window_name: string | null;
      paused_for_window: boolean;
      state: string;
      reason: string | null;
      finished_at: Date | null;
    }>(
      await this.ds.query(
        `SELECT a.rollout_id, a.component, a.version, a.trigger, a.window_name, a.paused_for_window,
                r.state, r.reason, r.finished_at
         FROM automatic_rollouts a JOIN rollouts r ON r.id = a.rollout_id
         WHERE ($1::text IS NULL OR a.component = $1) AND ($2::text IS NULL OR a.version = $2)
           AND (NOT $3 OR r.state IN ('planned', 'running', 'paused'))
         ORDER BY a.created_at DESC`,
        [filter.component ?? null, filter.version ?? null, filter.activeOnly === true],
      ),
    );
    return rows.map((r) => ({
      rolloutId: r.rollout_id,
      component: r.component,
      version: r.version,
      trigger: r.trigger,
      windowName: r.window_name,
      pausedForWindow: r.paused_for_window,
      state: r.state,
      reason: r.reason,
      finishedAt: r.finished_at ? new Date(r.finished_at) : null,
    }));
  }

  /** Records, inside the rollout's transaction, that the scheduler started it (and the schedule run that did). */
  async recordStart(m: EntityManager, rolloutId: string, start: AutomaticStart): Promise<void> {
    await m.query(
      `INSERT INTO automatic_rollouts (rollout_id, component, version, trigger, run_key, window_name)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [rolloutId, start.component, start.version, start.trigger, start.run?.key ?? null, start.windowName],
    );
    if (start.run) await this.insertRun(m, start.run, 'started', [rolloutId], `${start.component} → ${start.version}`);
  }

  /**
   * Records a schedule run's outcome unless one is recorded (its key is the primary key: the
   * replica that records first fired it). Returns false when another replica got there first.
   */
  async recordRun(
    run: { key: string; scheduleId: string; dueAt: Date; replica: string },
    outcome: 'nothing-to-do' | 'skipped-missed' | 'failed',
    detail: string,
  ): Promise<boolean> {
    return this.ds.transaction((m) => this.insertRun(m, run, outcome, [], detail, true));
  }

  private async insertRun(
    m: EntityManager,
    run: { key: string; scheduleId: string; dueAt: Date; replica: string },
    outcome: string,
    rolloutIds: string[],
    detail: string,
    ignoreConflict = false,
  ): Promise<boolean> {
    const rows = rowsOf(
      await m.query(
        `INSERT INTO schedule_runs (run_key, schedule_id, due_at, replica, outcome, rollout_ids, detail)
         VALUES ($1, $2, $3, $4, $5, $6::uuid[], $7)
         ${ignoreConflict ? 'ON CONFLICT (run_key) DO NOTHING' : ''} RETURNING run_key`,
        [run.key, run.scheduleId, run.dueAt, run.replica, outcome, rolloutIds, detail],
      ),
    );
    return rows.length > 0;
  }

  /** Marks an automatic rollout as paused (or resumed) by its window, in the transaction of that move. */
  async setPausedForWindow(m: EntityManager, rolloutId: string, paused: boolean): Promise<void> {
    await m.query(`UPDATE automatic_rollouts SET paused_for_window = $2 WHERE rollout_id = $1`, [rolloutId, paused]);
  }

  /**
   * Holds the release of failed automatic rollout `r` unless that rollout's hold was decided
   * before (by any replica): each failed rollout is held once, and a release the operator let go
   * again is not held again for the same failure, whatever the replicas' clocks say.
   */
  async holdFailedRollout(
    r: Pick<AutomaticRollout, 'rolloutId' | 'component' | 'version'>,
    reason: string,
    at: Date,
  ): Promise<'held' | 'decided-before'> {
    return this.ds.transaction(async (m) => {
      const marked = rowsOf(
        await m.query(
          `UPDATE automatic_rollouts SET hold_decided = true WHERE rollout_id = $1 AND NOT hold_decided RETURNING rollout_id`,
          [r.rolloutId],
        ),
      );
      if (!marked.length) return 'decided-before';
      // false: a live hold on that version is there already (an operator's): held either way
      await this.decisions.holdAutomatically(m, r.component, r.version, reason, at);
      return 'held';
    });
  }

  /**
   * Asks for approval of a release once: inserts its pending row and, in the same transaction,
   * the `update.approval_requested` event (when `announce`). False when it was asked for before.
   */
  async requestApproval(
    request: { component: string; version: string; cls: UpdateClass; currentVersion: string | null; reason: string },
    at: Date,
    announce: boolean,
  ): Promise<boolean> {
    return this.ds.transaction(async (m) => {
      if (!(await this.decisions.requestApproval(m, request.component, request.version, at))) return false;
      if (announce) await this.announceApprovalRequest(m, request);
      return true;
    });
  }

  transaction<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.ds.transaction(work);
  }

  /** The `update.approval_requested` event, through the outbox. */
  private async announceApprovalRequest(
    m: EntityManager,
    r: { component: string; version: string; cls: UpdateClass; currentVersion: string | null; reason: string },
  ): Promise<void> {
    await enqueueEvent(
      m,
      Subjects.UpdateApprovalRequested,
      {
        component: r.component,
        version: r.version,
        class: r.cls,
        currentVersion: r.currentVersion,
        reason: r.reason,
        approveWith: approveCommand(r.component, r.version),
      },
      {
        source: '/lockstep/scheduler',
        subject: `${r.component}@${r.version}`,
        id: `update.approval_requested.${r.component}.${r.version}`,
      },
    );
  }
}
