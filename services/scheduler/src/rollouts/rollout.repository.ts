import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { systemActor, type AuditActor, type RolloutPlanV1, type RolloutState } from '@lockstep/contracts';
import {
  appendAudit,
  ONE_ACTIVE_ROLLOUT_INDEX,
  RolloutEntity,
  RolloutNodeEntity,
  type RolloutStrategy,
} from '@lockstep/persistence';
import { DataSource, type EntityManager } from 'typeorm';
import { announceRolloutChange } from './rollout-changed.event';
import {
  FAILED_NODE_STATUSES,
  FINISHED_ROLLOUT_STATES,
  INITIAL_NODE_STATUS,
  INITIAL_ROLLOUT_STATE,
  NODE_STATUS_ON_TIMEOUT,
  NODE_STATUS_WHILE,
  NODE_STATUSES_TO_REVERT_LATE,
  ROLLOUT_ACTIONS,
  SETTLED_NODE_STATUSES,
  nodeFromStatuses,
  rolloutFromStates,
  type ConductorTarget,
  type NodeCommandAction,
  type RolloutAction,
} from './rollout-state-machine';
import { LATE_REVERT, rolloutUnderWay } from './rollout-under-way';
import {
  ActiveRolloutError,
  isUniqueViolation,
  type BatchProgress,
  type RolloutAudit,
  type TransitionResult,
} from './rollout-records';
import { rowsOf } from './sql-rows';

export { ActiveRolloutError, type BatchProgress, type RolloutAudit, type TransitionResult } from './rollout-records';

/** Rollouts and their nodes in Postgres: any replica can resume from here. */
@Injectable()
export class RolloutRepository {
  constructor(private readonly ds: DataSource) {}

  /**
   * Stores a planned rollout, announces it and records who asked, in one transaction.
   * @throws ActiveRolloutError when another rollout is active (the database admits one at a time).
   */
  async create(
    plan: RolloutPlanV1,
    audit: RolloutAudit,
    input: {
      artifact: RolloutEntity['artifact'];
      selector: string;
      strategy: RolloutStrategy;
      kind: string;
      rollbackOf?: string | null;
      /** Runs inside the rollout's transaction (e.g. records what started it); a throw stores nothing. */
      within?: (m: EntityManager, rollout: RolloutEntity) => Promise<void>;
    },
  ): Promise<RolloutEntity> {
    try {
      return await this.insert(plan, audit, input);
    } catch (err) {
      if (isUniqueViolation(err, ONE_ACTIVE_ROLLOUT_INDEX)) throw new ActiveRolloutError({ cause: err });
      throw err;
    }
  }

  private insert(
    plan: RolloutPlanV1,
    audit: RolloutAudit,
    input: Parameters<RolloutRepository['create']>[2],
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
        state: INITIAL_ROLLOUT_STATE,
        reason: null,
        lockToken: '0',
        conductor: null,
        rollbackOf: input.rollbackOf ?? null,
        skipped: plan.skipped,
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
           SELECT $1, u.node_id, u.batch, u.canary, u.from_version, $6 FROM unnest($2::text[], $3::int[], $4::boolean[], $5::text[]) AS u(node_id, batch, canary, from_version)`,
          [
            rollout.id,
            nodes.map((n) => n.id),
            nodes.map((n) => n.batch),
            nodes.map((n) => n.canary),
            nodes.map((n) => n.fromVersion),
            INITIAL_NODE_STATUS,
          ],
        );
      }
      await announceRolloutChange(m, rollout, null, { total: nodes.length, succeeded: 0, failed: 0, rolled_back: 0 });
      await appendAudit(m, { ...audit, target: rollout.id });
      await input.within?.(m, rollout);
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
   * Rollouts that need a conductor, oldest first: those not finished, failed ones whose
   * auto-rollback has nodes left to return (a conductor may have died while reverting), and
   * rolled-back ones with a node a late outcome showed still on the release they abandoned.
   */
  async active(): Promise<RolloutEntity[]> {
    return this.ds
      .getRepository(RolloutEntity)
      .createQueryBuilder('r')
      .where(...rolloutUnderWay('r'))
      .orderBy('r.createdAt', 'ASC')
      .getMany();
  }

  /**
   * Nodes of rolled-back rollout `rolloutId` to revert again: a late outcome showed them still on
   * its release, and no newer rollout has touched them since (reverting those would undo it).
   */
  async lateReverts(rolloutId: string): Promise<string[]> {
    const rows = rowsOf<{ node_id: string }>(
      await this.ds.query(
        `SELECT n.node_id FROM rollout_nodes n JOIN rollouts r ON r.id = n.rollout_id
         WHERE r.id = $1 AND ${LATE_REVERT('n', 'r', '$2::text[]')} ORDER BY n.node_id`,
        [rolloutId, NODE_STATUSES_TO_REVERT_LATE],
      ),
    );
    return rows.map((row) => row.node_id);
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
   * claimed it, so a paused old conductor can never write again after a takeover. Taking over
   * a rollout another holder had (an older, non-zero token) is recorded as `lock.takeover` in
   * the same transaction.
   */
  async claim(id: string, token: number, replica: string, lockKey = 'cluster'): Promise<boolean> {
    return this.ds.transaction(async (m) => {
      const before = rowsOf<{ lock_token: string; conductor: string | null }>(
        await m.query(`SELECT lock_token, conductor FROM rollouts WHERE id = $1 FOR UPDATE`, [id]),
      )[0];
      const r: unknown = await m.query(
        `UPDATE rollouts SET lock_token = $2, conductor = $3, updated_at = now() WHERE id = $1 AND lock_token <= $2 RETURNING id`,
        [id, token, replica],
      );
      const claimed = rowsOf(r).length === 1;
      if (claimed && before && before.lock_token !== '0' && before.lock_token !== String(token)) {
        await appendAudit(m, {
          actor: { ...systemActor('scheduler'), name: `scheduler ${replica}` },
          action: 'lock.takeover',
          target: lockKey,
          params: {
            rolloutId: id,
            fromConductor: before.conductor,
            fromToken: Number(before.lock_token),
            toToken: token,
            replica,
          },
        });
      }
      return claimed;
    });
  }

  /**
   * The conductor moves a rollout to `to`, fenced by its token, and announces the change in the
   * same transaction. The UPDATE only matches a row in a state the state machine lets the
   * conductor leave for `to`, so an operator's abort or pause is never overwritten.
   */
  async transition(
    id: string,
    token: number,
    to: ConductorTarget,
    reason?: string,
    audit?: RolloutAudit,
  ): Promise<TransitionResult> {
    return this.ds.transaction(async (m) => {
      const from = await this.move(m, id, to, rolloutFromStates(to, 'conductor'), reason ?? null, token);
      if (from && audit) await appendAudit(m, { ...audit, target: id });
      if (from) return { outcome: 'moved', from };
      const rows = rowsOf<{ state: RolloutState; lock_token: string }>(
        await m.query(`SELECT state, lock_token FROM rollouts WHERE id = $1`, [id]),
      );
      const now = rows[0];
      if (!now || now.lock_token !== String(token)) return { outcome: 'stale' };
      return now.state === to ? { outcome: 'unchanged' } : { outcome: 'refused', state: now.state };
    });
  }

  /**
   * An operator's pause/resume/abort, recorded as `rollout.<action>` by `actor` in the same
   * transaction; refuses moves the state machine does not allow from the current state.
   */
  async operatorAction(
    id: string,
    action: RolloutAction,
    actor: AuditActor,
    why: { reason?: string; within?: (m: EntityManager) => Promise<void> } = {},
  ): Promise<{ ok: true; state: RolloutState } | { ok: false; message: string }> {
    const to = ROLLOUT_ACTIONS[action];
    return this.ds.transaction(async (m) => {
      const reason = why.reason ?? `${action} by operator`;
      const from = await this.move(m, id, to, rolloutFromStates(to, 'operator'), reason);
      if (from) {
        await appendAudit(m, {
          actor,
          action: `rollout.${action}`,
          target: id,
          params: { from, to, ...(why.reason ? { reason: why.reason } : {}) },
        });
        // an operator's pause or resume takes the rollout out of the scheduler's window keeping
        // (a window pause sets it again in `within`): it never resumes what a person paused
        await m.query(`UPDATE automatic_rollouts SET paused_for_window = false WHERE rollout_id = $1`, [id]);
        await why.within?.(m);
        return { ok: true, state: to };
      }
      const r = await m.findOneBy(RolloutEntity, { id });
      if (!r) return { ok: false, message: `rollout ${id} does not exist` };
      return { ok: false, message: `cannot ${action} a rollout that is ${r.state}` };
    });
  }

  /**
   * Moves rollout `id` to `to` when its state is one of `allowed` (and, with a token, its lock
   * token is that one), then announces it. Returns the state it left, or undefined when no row
   * matched.
   */
  private async move(
    m: EntityManager,
    id: string,
    to: RolloutState,
    allowed: RolloutState[],
    reason: string | null,
    token?: number,
  ): Promise<RolloutState | undefined> {
    const finished = (FINISHED_ROLLOUT_STATES as readonly RolloutState[]).includes(to);
    const moved = rowsOf<{ from_state: RolloutState }>(
      await m.query(
        `UPDATE rollouts r SET state = $2, reason = $3, updated_at = now(), finished_at = CASE WHEN $4 THEN now() ELSE r.finished_at END
         FROM (SELECT id, state FROM rollouts WHERE id = $1 FOR UPDATE) old
         WHERE r.id = old.id AND r.state = ANY($5::text[]) AND ($6::bigint IS NULL OR r.lock_token = $6::bigint)
         RETURNING old.state AS from_state`,
        [id, to, reason, finished, allowed, token ?? null],
      ),
    );
    if (moved.length === 0) return undefined;
    const from = moved[0].from_state;
    const rollout = await m.findOneByOrFail(RolloutEntity, { id });
    await announceRolloutChange(m, rollout, from);
    return from;
  }

  /**
   * Records that commands went to nodes at the database's now — a whole batch in one statement —
   * fenced by the rollout's token. Every time a node's command is judged by (its start, its finish,
   * the progress deadline) is Postgres's clock, never a replica's, so replicas whose clocks disagree
   * with each other or with the database judge a node alike. Only nodes the state machine lets enter
   * `status` are marked (a node whose outcome arrived meanwhile is left alone). `stale`: a newer
   * holder took the rollout over, and nothing was marked. With `audit` (a decision of the control
   * plane's own), the record is written in the same transaction, naming the nodes marked, when any were.
   */
  async markSent(
    rolloutId: string,
    sends: Array<{ nodeId: string; commandId: string }>,
    status: (typeof NODE_STATUS_WHILE)[NodeCommandAction],
    token: number,
    audit?: RolloutAudit,
  ): Promise<{ stale: boolean; marked: string[] }> {
    if (!audit) return this.markSentWith(this.ds.manager, rolloutId, sends, status, token);
    return this.ds.transaction(async (m) => {
      const result = await this.markSentWith(m, rolloutId, sends, status, token);
      if (result.marked.length)
        await appendAudit(m, { ...audit, target: rolloutId, params: { ...audit.params, nodes: result.marked } });
      return result;
    });
  }

  private async markSentWith(
    m: EntityManager,
    rolloutId: string,
    sends: Array<{ nodeId: string; commandId: string }>,
    status: (typeof NODE_STATUS_WHILE)[NodeCommandAction],
    token: number,
  ): Promise<{ stale: boolean; marked: string[] }> {
    const rows = rowsOf<{ fenced: boolean; marked: string[] }>(
      await m.query(
        `WITH fence AS (SELECT id FROM rollouts WHERE id = $1 AND lock_token = $5),
         marked AS (
           UPDATE rollout_nodes n SET status = $4, command_id = s.command_id, command_seq = NULL, started_at = now(), finished_at = NULL, error = NULL, step = NULL, percent = 0
           FROM fence, unnest($2::text[], $3::text[]) AS s(node_id, command_id)
           WHERE n.rollout_id = fence.id AND n.node_id = s.node_id AND n.status = ANY($6::text[]) RETURNING n.node_id)
         SELECT EXISTS (SELECT 1 FROM fence) AS fenced, COALESCE((SELECT array_agg(node_id ORDER BY node_id) FROM marked), '{}') AS marked`,
        [rolloutId, sends.map((s) => s.nodeId), sends.map((s) => s.commandId), status, token, nodeFromStatuses(status)],
      ),
    );
    return { stale: !rows[0]?.fenced, marked: rows[0]?.marked ?? [] };
  }

  /**
   * The conductor's wait loop in one round trip: the rollout's state, how many of its nodes
   * failed their install, and which of `nodeIds` are still open (not settled), each with whether
   * its command has run past `deadlineMs` on the database's clock.
   */
  async batchProgress(rolloutId: string, nodeIds: string[], deadlineMs: number): Promise<BatchProgress> {
    const rows = rowsOf<{ state: RolloutState; failed: number; node_id: string | null; overdue: boolean }>(
      await this.ds.query(
        `SELECT r.state, (SELECT count(*)::int FROM rollout_nodes f WHERE f.rollout_id = r.id AND f.status = ANY($4::text[])) AS failed, n.node_id,
                COALESCE(${PAST_DEADLINE('n.started_at', '$5')}, false) AS overdue
         FROM rollouts r
         LEFT JOIN rollout_nodes n ON n.rollout_id = r.id AND n.node_id = ANY($2::text[]) AND n.status <> ALL($3::text[])
         WHERE r.id = $1`,
        [rolloutId, nodeIds, SETTLED_NODE_STATUSES, FAILED_NODE_STATUSES, deadlineMs],
      ),
    );
    return {
      state: rows[0]?.state,
      failed: Number(rows[0]?.failed ?? 0),
      open: rows.flatMap((row) => (row.node_id === null ? [] : [{ nodeId: row.node_id, overdue: row.overdue }])),
    };
  }

  /**
   * Nodes of `nodeIds` that did not report within the progress deadline, by the database's clock,
   * count as failed (their install, or their revert); a timed-out install is queued for withdrawal
   * (a revert is not: returning a node late is still right). Returns the nodes it marked.
   */
  async markTimedOut(rolloutId: string, nodeIds: string[], token: number, deadlineMs: number): Promise<string[]> {
    const actions = Object.keys(NODE_STATUS_WHILE) as NodeCommandAction[];
    const r: unknown = await this.ds.query(
      `UPDATE rollout_nodes n SET status = t.to_status, error = $3, finished_at = now(),
         withdraw_seq = CASE WHEN t.to_status = $8 THEN n.command_seq ELSE n.withdraw_seq END
       FROM rollouts r, unnest($5::text[], $6::text[]) AS t(from_status, to_status)
       WHERE r.id = n.rollout_id AND n.rollout_id = $1 AND n.node_id = ANY($2::text[]) AND r.lock_token = $4 AND n.status = t.from_status
         AND ${PAST_DEADLINE('n.started_at', '$7')}
       RETURNING n.node_id`,
      [
        rolloutId,
        nodeIds,
        `no outcome within the progress deadline (${deadlineMs} ms); the node may be down — check lockstep nodes`,
        token,
        actions.map((a) => NODE_STATUS_WHILE[a]),
        actions.map((a) => NODE_STATUS_ON_TIMEOUT[a]),
        deadlineMs,
        NODE_STATUS_ON_TIMEOUT.install,
      ],
    );
    return rowsOf<{ node_id: string }>(r).map((row) => row.node_id);
  }
}

/** SQL: the command sent at `startedAt` has run longer than `deadlineMsParam` ms, on Postgres's clock. */
const PAST_DEADLINE = (startedAt: string, deadlineMsParam: string) =>
  `${startedAt} + ${deadlineMsParam}::int * interval '1 millisecond' < now()`;
