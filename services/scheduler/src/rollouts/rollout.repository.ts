import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  systemActor,
  type AuditActor,
  type InstallFinishedV1,
  type InstallProgressV1,
  type RolloutPlanV1,
  type RolloutState,
} from '@lockstep/contracts';
import {
  appendAudit,
  ONE_ACTIVE_ROLLOUT_INDEX,
  RolloutEntity,
  RolloutNodeEntity,
  type AuditRecordInput,
  type RolloutStrategy,
} from '@lockstep/persistence';
import { DataSource, type EntityManager } from 'typeorm';
import { announceRolloutChange } from './rollout-changed.event';
import {
  FAILED_NODE_STATUSES,
  FINISHED_ROLLOUT_STATES,
  INITIAL_NODE_STATUS,
  INITIAL_ROLLOUT_STATE,
  NODE_STATUS_AFTER,
  NODE_STATUS_ON_TIMEOUT,
  NODE_STATUS_WHILE,
  ROLLOUT_ACTIONS,
  SETTLED_NODE_STATUSES,
  nodeFromStatuses,
  nodeTransitionPairs,
  rolloutFromStates,
  type ConductorTarget,
  type NodeCommandAction,
  type RolloutAction,
} from './rollout-state-machine';
import { rolloutUnderWay } from './rollout-under-way';
import { rowsOf } from './sql-rows';

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
      .where(...rolloutUnderWay('r'))
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
  ): Promise<{ ok: true; state: RolloutState } | { ok: false; message: string }> {
    const to = ROLLOUT_ACTIONS[action];
    return this.ds.transaction(async (m) => {
      const from = await this.move(m, id, to, rolloutFromStates(to, 'operator'), `${action} by operator`);
      if (from) {
        await appendAudit(m, { actor, action: `rollout.${action}`, target: id, params: { from, to } });
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
   * holder took the rollout over, and nothing was marked.
   */
  async markSent(
    rolloutId: string,
    sends: Array<{ nodeId: string; commandId: string }>,
    status: (typeof NODE_STATUS_WHILE)[NodeCommandAction],
    token: number,
  ): Promise<{ stale: boolean; marked: string[] }> {
    const rows = rowsOf<{ fenced: boolean; marked: string[] }>(
      await this.ds.query(
        `WITH fence AS (SELECT id FROM rollouts WHERE id = $1 AND lock_token = $5),
         marked AS (
           UPDATE rollout_nodes n SET status = $4, command_id = s.command_id, started_at = now(), finished_at = NULL, error = NULL, step = NULL, percent = 0
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
   * Applies agents' outcomes, in one statement, to the nodes they belong to (matched by command
   * id and the reporting node; repeats are harmless: a node changes only when the state machine allows the move, i.e.
   * while its command runs, and of several outcomes of one command the first counts, as if they
   * were applied one by one). Returns the rollouts whose nodes changed.
   */
  async applyFinished(events: InstallFinishedV1[]): Promise<string[]> {
    // Keyed by command and reporting node: an agent can publish only about its own node, and an
    // outcome another node sends for a guessed command id must neither count nor shadow the real one.
    const first = new Map<string, InstallFinishedV1>();
    for (const e of events) {
      const key = `${e.commandId}\u0000${e.nodeId}`;
      if (!first.has(key)) first.set(key, e);
    }
    if (first.size === 0) return [];
    const rows = [...first.values()].map((e) => {
      const action: NodeCommandAction = e.commandId.endsWith('.revert') ? 'rollback' : 'install';
      return {
        commandId: e.commandId,
        nodeId: e.nodeId,
        status: NODE_STATUS_AFTER[action][e.result],
        error: e.error ? `${e.failedStep ? `${e.failedStep}: ` : ''}${e.error}` : null,
        backupId: action === 'rollback' ? null : (e.backupId ?? null),
      };
    });
    const moves = nodeTransitionPairs();
    const r: unknown = await this.ds.query(
      `UPDATE rollout_nodes n SET status = u.status, error = u.error, finished_at = now(), percent = 100, backup_id = COALESCE(u.backup_id, n.backup_id)
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $7::text[]) AS u(command_id, status, error, backup_id, node_id)
       WHERE n.command_id = u.command_id AND n.node_id = u.node_id
         AND (n.status, u.status) IN (SELECT * FROM unnest($5::text[], $6::text[]))
       RETURNING n.rollout_id`,
      [
        rows.map((x) => x.commandId),
        rows.map((x) => x.status),
        rows.map((x) => x.error),
        rows.map((x) => x.backupId),
        moves.from,
        moves.to,
        rows.map((x) => x.nodeId),
      ],
    );
    return [...new Set(rowsOf<{ rollout_id: string }>(r).map((row) => row.rollout_id))];
  }

  /**
   * Records agents' progress in one statement: per command, the step of its last event and the
   * highest percent (what applying the events one by one in stream order leaves behind).
   */
  async applyProgress(events: InstallProgressV1[]): Promise<void> {
    // per command and reporting node, like applyFinished
    const last = new Map<string, { commandId: string; nodeId: string; step: string; percent: number }>();
    for (const e of events) {
      const key = `${e.commandId}\u0000${e.nodeId}`;
      const seen = last.get(key);
      last.set(key, {
        commandId: e.commandId,
        nodeId: e.nodeId,
        step: e.step,
        percent: Math.max(seen?.percent ?? 0, Math.round(e.percent)),
      });
    }
    if (last.size === 0) return;
    const rows = [...last.values()];
    await this.ds.query(
      `UPDATE rollout_nodes n SET step = u.step, percent = GREATEST(n.percent, u.percent)
       FROM unnest($1::text[], $2::text[], $3::int[], $5::text[]) AS u(command_id, step, percent, node_id)
       WHERE n.command_id = u.command_id AND n.node_id = u.node_id AND n.status = ANY($4::text[])`,
      [
        rows.map((x) => x.commandId),
        rows.map((x) => x.step),
        rows.map((x) => x.percent),
        COMMAND_RUNNING_STATUSES,
        rows.map((x) => x.nodeId),
      ],
    );
  }

  /**
   * Nodes of `nodeIds` that did not report within the progress deadline, by the database's clock,
   * count as failed (their install, or their revert). Returns the nodes it marked.
   */
  async markTimedOut(rolloutId: string, nodeIds: string[], token: number, deadlineMs: number): Promise<string[]> {
    const actions = Object.keys(NODE_STATUS_WHILE) as NodeCommandAction[];
    const r: unknown = await this.ds.query(
      `UPDATE rollout_nodes n SET status = t.to_status, error = $3, finished_at = now()
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
      ],
    );
    return rowsOf<{ node_id: string }>(r).map((row) => row.node_id);
  }
}

/** SQL: the command sent at `startedAt` has run longer than `deadlineMsParam` ms, on Postgres's clock. */
const PAST_DEADLINE = (startedAt: string, deadlineMsParam: string) =>
  `${startedAt} + ${deadlineMsParam}::int * interval '1 millisecond' < now()`;

/** Another rollout is planned, running or paused: the database refused a second one. */
export class ActiveRolloutError extends Error {
  override name = 'ActiveRolloutError';
  constructor(options?: ErrorOptions) {
    super('another rollout is active; only one runs per cluster', options);
  }
}

/** True when `err` is Postgres refusing a row that would break the unique index or constraint `name`. */
const isUniqueViolation = (err: unknown, name: string): boolean => {
  const driver = (err as { driverError?: { code?: string; constraint?: string } }).driverError;
  return driver?.code === '23505' && driver.constraint === name;
};

/** The audit record of a rollout change; the rollout's id is its target. */
export type RolloutAudit = Omit<AuditRecordInput, 'target'>;

/** Statuses of nodes with a command running (progress is recorded only for them). */
const COMMAND_RUNNING_STATUSES = Object.values(NODE_STATUS_WHILE);

/** What came of the conductor's move (see RolloutRepository.transition). */
export type TransitionResult =
  /** Moved; announced with `from` as the previous state. */
  | { outcome: 'moved'; from: RolloutState }
  /** The rollout was in `to` already: nothing written, nothing announced. */
  | { outcome: 'unchanged' }
  /** The state machine does not allow the move from `state` (e.g. an operator aborted it): nothing written. */
  | { outcome: 'refused'; state: RolloutState }
  /** A newer lock holder claimed the rollout (or it does not exist): nothing written. */
  | { outcome: 'stale' };

/** Where a batch stands (see RolloutRepository.batchProgress). */
export interface BatchProgress {
  /** The rollout's state; undefined when it does not exist. */
  state: RolloutState | undefined;
  /** Nodes of the whole rollout that failed so far. */
  failed: number;
  /** Nodes of the batch without an outcome yet; `overdue`: past the progress deadline on the database's clock. */
  open: Array<{ nodeId: string; overdue: boolean }>;
}
