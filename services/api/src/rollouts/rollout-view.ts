import type {
  RolloutCounts,
  RolloutDetail,
  RolloutNodeStatus,
  RolloutNodeView,
  RolloutView,
} from '@lockstep/contracts';
import type { RolloutEntity, RolloutNodeEntity } from '@lockstep/persistence';

const iso = (d: Date | null | undefined): string | null => (d ? new Date(d).toISOString() : null);

/** Which count each node status adds to. */
const COUNT_OF_STATUS: Record<RolloutNodeStatus, Exclude<keyof RolloutCounts, 'total'>> = {
  pending: 'pending',
  installing: 'inProgress',
  reverting: 'inProgress',
  succeeded: 'succeeded',
  failed: 'failed',
  revert_failed: 'failed',
  timed_out: 'failed',
  revert_timed_out: 'failed',
  rolled_back: 'rolledBack',
  reverted: 'rolledBack',
};

/** Sums node statuses into the counts operators read (unknown statuses count in the total only). */
export function countNodes(statusCounts: Record<string, number>): RolloutCounts {
  const counts: RolloutCounts = { total: 0, pending: 0, inProgress: 0, succeeded: 0, failed: 0, rolledBack: 0 };
  for (const [status, n] of Object.entries(statusCounts)) {
    counts.total += n;
    const key: Exclude<keyof RolloutCounts, 'total'> | undefined = COUNT_OF_STATUS[status as RolloutNodeStatus];
    if (key) counts[key] += n;
  }
  return counts;
}

export function toRolloutView(r: RolloutEntity, statusCounts: Record<string, number>): RolloutView {
  return {
    id: r.id,
    component: r.component,
    targetVersion: r.targetVersion,
    kind: r.kind,
    selector: r.selector,
    state: r.state,
    reason: r.reason,
    strategy: r.strategy,
    rollbackOf: r.rollbackOf,
    conductor: r.conductor,
    lockToken: Number(r.lockToken),
    counts: countNodes(statusCounts),
    skipped: r.skipped ?? [],
    createdAt: iso(r.createdAt)!,
    updatedAt: iso(r.updatedAt)!,
    finishedAt: iso(r.finishedAt),
  };
}

export const toRolloutNodeView = (n: RolloutNodeEntity): RolloutNodeView => ({
  nodeId: n.nodeId,
  batch: n.batch,
  canary: n.canary,
  fromVersion: n.fromVersion,
  status: n.status,
  step: n.step,
  percent: n.percent,
  error: n.error,
  startedAt: iso(n.startedAt),
  finishedAt: iso(n.finishedAt),
});

export function toRolloutDetail(r: RolloutEntity, nodes: RolloutNodeEntity[]): RolloutDetail {
  const statusCounts: Record<string, number> = {};
  for (const n of nodes) statusCounts[n.status] = (statusCounts[n.status] ?? 0) + 1;
  return { ...toRolloutView(r, statusCounts), nodes: nodes.map(toRolloutNodeView) };
}
