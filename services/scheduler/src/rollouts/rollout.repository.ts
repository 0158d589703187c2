import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  Subjects,
  type InstallFinishedV1,
  type InstallProgressV1,
  type RolloutPlanV1,
  type RolloutState,
} from '@lockstep/contracts';
import {
  LockAuditEntity,
  RolloutEntity,
  RolloutNodeEntity,
  enqueueEvent,
  type RolloutStrategy,
} from '@lockstep/persistence';
import { DataSource, type EntityManager } from 'typeorm';

const SOURCE = '/lockstep/scheduler';
/** States in which a rollout still needs a conductor. */
export const ACTIVE_STATES: RolloutState[] = ['planned', 'running', 'paused'];

/** Rollouts and their nodes in Postgres: any replica can resume from here. */
@Injectable()
export class RolloutRepository {
  constructor(private readonly ds: DataSource) {}

  /** Stores a planned rollout and announces it, in one transaction. */
  async create(
    plan: RolloutPlanV1,
    input: {
      artifact: RolloutEntity['artifact'];
      selector: string;
      strategy: RolloutStrategy;
      kind: string;
      rollbackOf?: string | null;
    },
  ): Promise<RolloutEntity> {
    return this.ds.transaction(async (m) => {
      const rollout = m.create(RolloutEntity, {
        id: randomUUID(),
        component: plan.component,
        targetVersion: plan.version,
        kind: input.kind,
        artifact: input.artifact,
        selector: input.selector,
        strategy: input.strategy,
        state: 'planned',
        reason: null,
        lockToken: '0',
        conductor: null,
        rollbackOf: input.rollbackOf ?? null,
        finishedAt: null,
      });
      await m.insert(RolloutEntity, rollout);
      // One statement for all nodes (a plan can hold thousands), with arrays as parameters.
      const nodes = plan.batches.flatMap((b) =>
        b.nodes.map((n) => ({ id: n.id, batch: b.index, canary: b.canary, fromVersion: n.fromVersion })),
      );
      if (nodes.length) {
        await m.query(
          `INSERT INTO rollout_nodes (rollout_id, node_id, batch, canary, from_version, status)
           SELECT $1, u.node_id, u.batch, u.canary, u.from_version, 'pending' FROM unnest($2::text[], $3::int[], $4::boolean[], $5::text[]) AS u(node_id, batch, canary, from_version)`,
          [
            rollout.id,
            nodes.map((n) => n.id),
            nodes.map((n) => n.batch),
            nodes.map((n) => n.canary),
            nodes.map((n) => n.fromVersion),
          ],
        );
      }
      await this.announce(m, rollout, null, { total: nodes.length, succeeded: 0, failed: 0, rolled_back: 0 });
      return rollout;
    });
  }

  get(id: string): Promise<RolloutEntity | null> {
    return this.ds.getRepository(RolloutEntity).findOneBy({ id });
  }

  nodes(rolloutId: string): Promise<RolloutNodeEntity[]> {
    return this.ds
      .getRepository(RolloutNodeEntity)
      .find({ where: { rolloutId }, order: { batch: 'ASC', nodeId: 'ASC' } });
  }

  /**
   * Rollouts that need a conductor, oldest first: those not finished, and failed ones whose
   * auto-rollback has nodes left to return (a conductor may have died while reverting).
   */
  async active(): Promise<RolloutEntity[]> {
    return this.ds
      .getRepository(RolloutEntity)
      .createQueryBuilder('r')
      .where(
        `r.state IN (:...states)
          OR (r.state = 'failed' AND (r.strategy->>'autoRollback')::boolean
              AND EXISTS (SELECT 1 FROM rollout_nodes n WHERE n.rollout_id = r.id AND n.status IN ('succeeded', 'reverting') AND n.from_version IS NOT NULL))`,
        { states: ACTIVE_STATES },
      )
      .orderBy('r.createdAt', 'ASC')
      .getMany();
  }

  /** Each node's pre-update backup in a rollout (node id → backup id). */
  async backupsOf(rolloutId: string): Promise<Map<string, string>> {
    const rows = await this.ds
      .getRepository(RolloutNodeEntity)
      .find({ where: { rolloutId }, select: { nodeId: true, backupId: true } });
    return new Map(rows.filter((r) => r.backupId).map((r) => [r.nodeId, r.backupId!]));
  }

  /** The most recent rollout (for `lockstep rollback` without an id). */
  latest(): Promise<RolloutEntity | null> {
    return this.ds.getRepository(RolloutEntity).findOne({ where: {}, order: { createdAt: 'DESC' } });
  }

  /**
   * Takes a rollout over with a fencing token: succeeds only when no newer holder has
   * claimed it, so a paused old conductor can never write again after a takeover.
   */
  async claim(id: string, token: number, replica: string): Promise<boolean> {
    const r = await this.ds.query(
      `UPDATE rollouts SET lock_token = $2, conductor = $3, updated_at = now() WHERE id = $1 AND lock_token <= $2 RETURNING id`,
      [id, token, replica],
    );
    return rowsOf(r).length === 1;
  }

  /** Moves a rollout to a state (fenced by token); announces the change. False when the token is stale. */
  async transition(id: string, token: number, to: RolloutState, reason?: string): Promise<boolean> {
    return this.ds.transaction(async (m) => {
      const rows = rowsOf(
        await m.query(`SELECT state FROM rollouts WHERE id = $1 AND lock_token = $2 FOR UPDATE`, [id, token]),
      );
      if (rows.length !== 1) return false;
      const from = rows[0].state as RolloutState;
      if (from === to) return true;
      const terminal = ['succeeded', 'failed', 'aborted', 'rolled_back'].includes(to);
      await m.query(
        `UPDATE rollouts SET state = $2, reason = $3, updated_at = now(), finished_at = CASE WHEN $4 THEN now() ELSE finished_at END WHERE id = $1`,
        [id, to, reason ?? null, terminal],
      );
      const rollout = (await m.findOneBy(RolloutEntity, { id }))!;
      await this.announce(m, rollout, from);
      return true;
    });
  }

  /** An operator's pause/resume/abort; refuses moves that make no sense from the current state. */
  async operatorAction(
    id: string,
    action: 'pause' | 'resume' | 'abort',
  ): Promise<{ ok: true; state: RolloutState } | { ok: false; message: string }> {
    return this.ds.transaction(async (m) => {
      const r = await m.findOne(RolloutEntity, { where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!r) return { ok: false, message: `rollout ${id} does not exist` };
      const allowed: Record<string, RolloutState[]> = {
        pause: ['planned', 'running'],
        resume: ['paused'],
        abort: ['planned', 'running', 'paused'],
      };
      if (!allowed[action].includes(r.state as RolloutState))
        return { ok: false, message: `cannot ${action} a rollout that is ${r.state}` };
      const to: RolloutState = action === 'pause' ? 'paused' : action === 'resume' ? 'running' : 'aborted';
      const from = r.state as RolloutState;
      r.state = to;
      r.reason = `${action} by operator`;
      if (to === 'aborted') r.finishedAt = new Date();
      await m.save(r);
      await this.announce(m, r, from);
      return { ok: true, state: to };
    });
  }

  /**
   * Records that commands went to nodes — a whole batch in one statement — fenced by the
   * rollout's token. Returns how many nodes it marked (fewer than asked: a newer holder took over).
   */
  async markSent(
    rolloutId: string,
    sends: Array<{ nodeId: string; commandId: string }>,
    status: 'installing' | 'reverting',
    token: number,
  ): Promise<number> {
    if (sends.length === 0) return 0;
    const r = await this.ds.query(
      `UPDATE rollout_nodes n SET status = $4, command_id = s.command_id, started_at = now(), finished_at = NULL, error = NULL, step = NULL, percent = 0
       FROM rollouts r, unnest($2::text[], $3::text[]) AS s(node_id, command_id)
       WHERE r.id = n.rollout_id AND n.rollout_id = $1 AND n.node_id = s.node_id AND r.lock_token = $5 RETURNING n.node_id`,
      [rolloutId, sends.map((s) => s.nodeId), sends.map((s) => s.commandId), status, token],
    );
    return rowsOf(r).length;
  }

  /**
   * The conductor's wait loop in one round trip: the rollout's state, how many of its nodes
   * have a status in `statuses.failed`, and which of `nodeIds` are still open (status not in
   * `statuses.final`) with when their command was sent.
   */
  async batchProgress(
    rolloutId: string,
    nodeIds: string[],
    statuses: { final: string[]; failed: string[] },
  ): Promise<BatchProgress> {
    const rows = rowsOf(
      await this.ds.query(
        `SELECT r.state, (SELECT count(*)::int FROM rollout_nodes f WHERE f.rollout_id = r.id AND f.status = ANY($4::text[])) AS failed, n.node_id, n.started_at
         FROM rollouts r
         LEFT JOIN rollout_nodes n ON n.rollout_id = r.id AND n.node_id = ANY($2::text[]) AND n.status <> ALL($3::text[])
         WHERE r.id = $1`,
        [rolloutId, nodeIds, statuses.final, statuses.failed],
      ),
    );
    return {
      state: rows[0]?.state as RolloutState | undefined,
      failed: Number(rows[0]?.failed ?? 0),
      open: rows
        .filter((row) => row.node_id !== null)
        .map((row) => ({ nodeId: row.node_id as string, startedAt: (row.started_at as Date | null) ?? null })),
    };
  }

  /**
   * Applies agents' outcomes, in one statement, to the nodes they belong to (matched by command
   * id; repeats are harmless: only a node still installing or reverting changes, and of several
   * outcomes of one command the first counts, as if they were applied one by one). Returns the
   * rollouts whose nodes changed.
   */
  async applyFinished(events: InstallFinishedV1[]): Promise<string[]> {
    const first = new Map<string, InstallFinishedV1>();
    for (const e of events) if (!first.has(e.commandId)) first.set(e.commandId, e);
    if (first.size === 0) return [];
    const rows = [...first.values()].map((e) => {
      const reverting = e.commandId.endsWith('.revert');
      return {
        commandId: e.commandId,
        status: reverting
          ? e.result === 'succeeded'
            ? 'reverted'
            : 'revert_failed'
          : e.result === 'rejected'
            ? 'failed'
            : e.result,
        error: e.error ? `${e.failedStep ? `${e.failedStep}: ` : ''}${e.error}` : null,
        backupId: reverting ? null : (e.backupId ?? null),
      };
    });
    const r = await this.ds.query(
      `UPDATE rollout_nodes n SET status = u.status, error = u.error, finished_at = now(), percent = 100, backup_id = COALESCE(u.backup_id, n.backup_id)
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS u(command_id, status, error, backup_id)
       WHERE n.command_id = u.command_id AND n.status IN ('installing', 'reverting') RETURNING n.rollout_id`,
      [rows.map((x) => x.commandId), rows.map((x) => x.status), rows.map((x) => x.error), rows.map((x) => x.backupId)],
    );
    return [...new Set(rowsOf(r).map((row) => row.rollout_id as string))];
  }

  /**
   * Records agents' progress in one statement: per command, the step of its last event and the
   * highest percent (what applying the events one by one in stream order leaves behind).
   */
  async applyProgress(events: InstallProgressV1[]): Promise<void> {
    const last = new Map<string, { step: string; percent: number }>();
    for (const e of events) {
      const seen = last.get(e.commandId);
      last.set(e.commandId, { step: e.step, percent: Math.max(seen?.percent ?? 0, Math.round(e.percent)) });
    }
    if (last.size === 0) return;
    const ids = [...last.keys()];
    await this.ds.query(
      `UPDATE rollout_nodes n SET step = u.step, percent = GREATEST(n.percent, u.percent)
       FROM unnest($1::text[], $2::text[], $3::int[]) AS u(command_id, step, percent)
       WHERE n.command_id = u.command_id AND n.status IN ('installing', 'reverting')`,
      [ids, ids.map((id) => last.get(id)!.step), ids.map((id) => last.get(id)!.percent)],
    );
  }

  /** A node that did not report within the progress deadline counts as failed. */
  async markTimedOut(rolloutId: string, nodeId: string, token: number, deadlineMs: number): Promise<void> {
    await this.ds.query(
      `UPDATE rollout_nodes n SET status = CASE WHEN n.status = 'reverting' THEN 'revert_failed' ELSE 'failed' END, error = $3, finished_at = now()
       FROM rollouts r WHERE r.id = n.rollout_id AND n.rollout_id = $1 AND n.node_id = $2 AND r.lock_token = $4 AND n.status IN ('installing', 'reverting')`,
      [
        rolloutId,
        nodeId,
        `no outcome within the progress deadline (${deadlineMs} ms); the node may be down — check lockstep nodes`,
        token,
      ],
    );
  }

  async audit(entry: Omit<LockAuditEntity, 'id' | 'at'>): Promise<void> {
    await this.ds.getRepository(LockAuditEntity).insert(entry as never);
  }

  /** Enqueues the rollout.changed event of `r` (`known`: its nodes by outcome, counted when not given). */
  private async announce(
    m: EntityManager,
    r: RolloutEntity,
    from: RolloutState | null,
    known?: NodeCounts,
  ): Promise<void> {
    const counts =
      known ??
      (rowsOf(
        await m.query(
          `SELECT count(*)::int AS total, count(*) FILTER (WHERE status = 'succeeded')::int AS succeeded,
              count(*) FILTER (WHERE status IN ('failed', 'revert_failed'))::int AS failed, count(*) FILTER (WHERE status IN ('rolled_back', 'reverted'))::int AS rolled_back
       FROM rollout_nodes WHERE rollout_id = $1`,
          [r.id],
        ),
      )[0] as NodeCounts);
    await enqueueEvent(
      m,
      Subjects.RolloutChanged,
      {
        rolloutId: r.id,
        component: r.component,
        targetVersion: r.targetVersion,
        state: r.state as RolloutState,
        previousState: from,
        reason: r.reason ?? undefined,
        nodes: {
          total: counts.total,
          succeeded: counts.succeeded,
          failed: counts.failed,
          rolledBack: counts.rolled_back,
        },
      },
      { source: SOURCE, subject: r.id },
    );
  }
}

/** A rollout's nodes by outcome, as rollout.changed reports them. */
type NodeCounts = { total: number; succeeded: number; failed: number; rolled_back: number };

/** Where a batch stands (see RolloutRepository.batchProgress). */
export interface BatchProgress {
  /** The rollout's state; undefined when it does not exist. */
  state: RolloutState | undefined;
  /** Nodes of the whole rollout that failed so far. */
  failed: number;
  /** Nodes of the batch without an outcome yet. */
  open: Array<{ nodeId: string; startedAt: Date | null }>;
}

/** TypeORM's raw query result is rows, or [rows, count] for UPDATE … RETURNING. */
function rowsOf(r: unknown): Array<Record<string, unknown>> {
  if (Array.isArray(r) && Array.isArray(r[0])) return r[0] as Array<Record<string, unknown>>;
  return (r as Array<Record<string, unknown>>) ?? [];
}
