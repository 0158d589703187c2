import { Injectable } from '@nestjs/common';
import type { InstallFinishedV1, InstallProgressV1 } from '@lockstep/contracts';
import { DataSource } from 'typeorm';
import {
  NODE_STATUS_AFTER,
  NODE_STATUS_ON_TIMEOUT,
  NODE_STATUS_WHILE,
  nodeTransitionPairs,
  statusAfterLateRevert,
  type NodeCommandAction,
} from './rollout-state-machine';
import { rowsOf } from './sql-rows';

/** Statuses of nodes with a command running (progress is recorded only for them). */
const COMMAND_RUNNING_STATUSES = Object.values(NODE_STATUS_WHILE);

/** What agents report about their commands, applied to the rollout nodes in Postgres. */
@Injectable()
export class InstallOutcomesRepository {
  constructor(private readonly ds: DataSource) {}

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
        succeeded: e.result === 'succeeded',
        runningVersion: e.runningVersion,
      };
    });
    const moves = nodeTransitionPairs();
    // what the outcome makes of the node: by its command's kind and result, except for a revert
    // that timed out, whose late outcome is judged as statusAfterLateRevert does
    const to = `CASE WHEN n.status = $8::text THEN (CASE WHEN u.succeeded OR u.running_version = n.from_version THEN $9::text ELSE $10::text END) ELSE u.status END`;
    const r: unknown = await this.ds.query(
      `UPDATE rollout_nodes n SET status = ${to}, error = u.error, finished_at = now(), percent = 100, backup_id = COALESCE(u.backup_id, n.backup_id)
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $7::text[], $11::boolean[], $12::text[])
         AS u(command_id, status, error, backup_id, node_id, succeeded, running_version)
       WHERE n.command_id = u.command_id AND n.node_id = u.node_id
         AND (n.status, ${to}) IN (SELECT * FROM unnest($5::text[], $6::text[]))
       RETURNING n.rollout_id`,
      [
        rows.map((x) => x.commandId),
        rows.map((x) => x.status),
        rows.map((x) => x.error),
        rows.map((x) => x.backupId),
        moves.from,
        moves.to,
        rows.map((x) => x.nodeId),
        NODE_STATUS_ON_TIMEOUT.rollback,
        statusAfterLateRevert('succeeded', null, null),
        statusAfterLateRevert('failed', null, null),
        rows.map((x) => x.succeeded),
        rows.map((x) => x.runningVersion),
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
}
