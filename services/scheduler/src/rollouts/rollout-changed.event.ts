import { Subjects, type RolloutNodeStatus, type RolloutState } from '@lockstep/contracts';
import { enqueueEvent, type RolloutEntity } from '@lockstep/persistence';
import type { EntityManager } from 'typeorm';
import { NODE_STATUSES } from './rollout-state-machine';
import { rowsOf } from './sql-rows';

const SOURCE = '/lockstep/scheduler';

/** Enqueues the rollout.changed event of `r` in `m`'s transaction (`known`: its nodes by outcome, counted when not given). */
export async function announceRolloutChange(
  m: EntityManager,
  r: RolloutEntity,
  from: RolloutState | null,
  known?: NodeCounts,
): Promise<void> {
  const counts =
    known ??
    rowsOf<NodeCounts>(
      await m.query(
        `SELECT count(*)::int AS total, count(*) FILTER (WHERE status = ANY($2::text[]))::int AS succeeded,
            count(*) FILTER (WHERE status = ANY($3::text[]))::int AS failed, count(*) FILTER (WHERE status = ANY($4::text[]))::int AS rolled_back
         FROM rollout_nodes WHERE rollout_id = $1`,
        [r.id, COUNTED_AS.succeeded, COUNTED_AS.failed, COUNTED_AS.rolledBack],
      ),
    )[0];
  await enqueueEvent(
    m,
    Subjects.RolloutChanged,
    {
      rolloutId: r.id,
      component: r.component,
      targetVersion: r.targetVersion,
      state: r.state,
      previousState: from,
      reason: r.reason ?? undefined,
      // the announcement of a new rollout says which nodes it leaves out
      ...(from === null && r.skipped?.length ? { skipped: r.skipped } : {}),
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

/** A rollout's nodes by outcome, as rollout.changed reports them. */
export type NodeCounts = { total: number; succeeded: number; failed: number; rolled_back: number };

/** Node statuses by the rollout.changed count they add to. */
const COUNTED_AS = {
  succeeded: statusesCountedAs('succeeded'),
  failed: statusesCountedAs('failed'),
  rolledBack: statusesCountedAs('rolledBack'),
};

function statusesCountedAs(count: 'succeeded' | 'failed' | 'rolledBack'): RolloutNodeStatus[] {
  return (Object.keys(NODE_STATUSES) as RolloutNodeStatus[]).filter((s) => NODE_STATUSES[s].counts === count);
}
