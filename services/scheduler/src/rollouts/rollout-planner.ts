import {
  CodedError,
  type CountOrPercent,
  type NodeRecordV1,
  type PlannedBatchV1,
  type RolloutCreateV1,
  type RolloutPlanV1,
  type SkippedNodeV1,
} from '@lockstep/contracts';
import type { RolloutStrategy } from '@lockstep/persistence';

/** Why a rollout cannot be planned; carried in the query error of `rollout-create`. */
export const RolloutPlanErrorCode = {
  /** No node runs the component and matches the selector. */
  NoNodes: 'NO_NODES',
  /** Nodes the operator named, or every selected node, stopped heart-beating. */
  NodesLost: 'NODES_LOST',
} as const;
export type RolloutPlanErrorCode = (typeof RolloutPlanErrorCode)[keyof typeof RolloutPlanErrorCode];

/** The plan cannot be made; the message says what to change. */
export class RolloutPlanError extends CodedError<RolloutPlanErrorCode> {
  override name = 'RolloutPlanError';
}

/** A node as the planner sees it. */
export interface PlannerNode {
  record: NodeRecordV1;
  lost: boolean;
}

/** Resolves `2` or `"20%"` against a total (percentages round up, so 10% of 5 is 1). */
export function resolveCount(value: CountOrPercent, total: number): number {
  if (typeof value === 'number') return value;
  return Math.ceil((Number(value.slice(0, -1)) / 100) * total);
}

/**
 * How long the conductor waits after a batch before the next one: after the last canary batch
 * (the next one is no canary) the canaries soak for canarySoakMs (a rollout stored without it:
 * pauseBetweenBatchesMs, as before the setting existed); after every other batch, including
 * one canary batch before another, pauseBetweenBatchesMs.
 */
export function waitAfterBatch(strategy: RolloutStrategy, batch: { canary: boolean; nextCanary: boolean }): number {
  return batch.canary && !batch.nextCanary
    ? (strategy.canarySoakMs ?? strategy.pauseBetweenBatchesMs)
    : strategy.pauseBetweenBatchesMs;
}

/** The node ids a selector names one by one (`id[,id]`); undefined for `all` and label selectors. */
export function namedNodes(selector: string): string[] | undefined {
  const s = selector.trim();
  if (s === '' || s === 'all') return undefined;
  const parts = s
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  return parts.every((p) => p.includes('=')) ? undefined : parts;
}

/** Whether a node matches a selector: `all`, `key=value[,key=value]` labels, or `id[,id]`. */
export function matchesSelector(node: NodeRecordV1, selector: string): boolean {
  const s = selector.trim();
  if (s === '' || s === 'all') return true;
  const named = namedNodes(s);
  if (named) return named.includes(node.id);
  return s
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)
    .every((p) => node.labels[p.split('=')[0]] === p.slice(p.indexOf('=') + 1));
}

/** Why a lost node is left out: since when it has been silent. */
export const lostReason = (record: NodeRecordV1): string => `lost since ${record.seenAt} (no heartbeat since then)`;

/** What the plan is for, when it is not an operator's upgrade or downgrade. */
export interface PlanPurpose {
  /** The rollout a rollback returns; its nodes are named by id, but the operator named none. */
  rollbackOf?: string;
}

const them = (ids: string[]) => (ids.length === 1 ? 'it' : 'them');

/**
 * Plans a rollout: the selected nodes running the component, canaries first (nodes labelled
 * `group=canary` preferred), then batches of maxParallel in id order. Nodes already at the
 * target version need no command. Lost nodes cannot be updated and must not be counted
 * healthy: a rollout of every node or of labels leaves them out (listed in `skipped` with why),
 * so one dead machine does not block the fleet; so does a rollback, which names the nodes its
 * rollout touched though the operator named none (`lockstep rollback` has no --nodes). A lost
 * node the operator named, or a selection that is all lost, stops the plan.
 */
export function planRollout(
  req: RolloutCreateV1,
  nodes: PlannerNode[],
  lockKey: string,
  purpose: PlanPurpose = {},
): RolloutPlanV1 {
  const { rollbackOf } = purpose;
  const runsIt = (r: NodeRecordV1) => r.components[req.component] !== undefined || r.manages.includes(req.component);
  const all = nodes.filter((n) => matchesSelector(n.record, req.selector) && runsIt(n.record));
  if (all.length === 0)
    throw new RolloutPlanError(
      RolloutPlanErrorCode.NoNodes,
      rollbackOf
        ? `rollout ${rollbackOf} updated ${(namedNodes(req.selector) ?? [req.selector]).join(', ')}, and none of them is in the fleet any more (removed with lockstep nodes rm); nothing left to roll back — check lockstep nodes`
        : `no node manages ${req.component} and matches "${req.selector}"; check lockstep nodes and the --nodes selector`,
    );
  const lost = all.filter((n) => n.lost).map((n) => n.record.id);
  if (lost.length && namedNodes(req.selector) && !rollbackOf)
    throw new RolloutPlanError(
      RolloutPlanErrorCode.NodesLost,
      `${lost.length === 1 ? 'node' : 'nodes'} ${lost.join(', ')} stopped heart-beating (lost) and cannot be updated; bring ${them(lost)} back, leave ${them(lost)} out of --nodes, or remove ${them(lost)} for good with ${lost.map((id) => `lockstep nodes rm ${id}`).join(', ')}`,
    );
  if (lost.length === all.length)
    throw new RolloutPlanError(
      RolloutPlanErrorCode.NodesLost,
      rollbackOf
        ? `every node rollout ${rollbackOf} updated is lost (${lost.join(', ')}): none heart-beats, so none can be rolled back; start their agents again and run lockstep rollback ${rollbackOf} again, or remove dead ones with ${lost.map((id) => `lockstep nodes rm ${id}`).join(', ')}`
        : `every selected node is lost (${lost.join(', ')}): none heart-beats, so none can be updated; start their agents again, or remove dead ones with lockstep nodes rm <id>`,
    );
  const skipped: SkippedNodeV1[] = all
    .filter((n) => n.lost)
    .map((n) => ({
      nodeId: n.record.id,
      reason: rollbackOf
        ? `${lostReason(n.record)}; once it heart-beats again, lockstep rollback ${rollbackOf} returns it too`
        : lostReason(n.record),
    }));
  const selected = all.filter((n) => !n.lost);
  const todo = selected.filter((n) => n.record.components[req.component] !== req.version).map((n) => n.record);
  const already = selected
    .filter((n) => n.record.components[req.component] === req.version)
    .map((n) => n.record.id)
    .sort();
  todo.sort((a, b) => a.id.localeCompare(b.id));
  const canaryCount = Math.min(resolveCount(req.canary, todo.length), todo.length);
  const canaries = [...todo]
    .sort(
      (a, b) => Number(b.labels.group === 'canary') - Number(a.labels.group === 'canary') || a.id.localeCompare(b.id),
    )
    .slice(0, canaryCount);
  const canaryIds = new Set(canaries.map((n) => n.id));
  const rest = todo.filter((n) => !canaryIds.has(n.id));
  const batches: PlannedBatchV1[] = [];
  const view = (n: NodeRecordV1) => ({ id: n.id, fromVersion: n.components[req.component] ?? null });
  for (let i = 0; i < canaries.length; i += req.maxParallel)
    batches.push({ index: batches.length, canary: true, nodes: canaries.slice(i, i + req.maxParallel).map(view) });
  for (let i = 0; i < rest.length; i += req.maxParallel)
    batches.push({ index: batches.length, canary: false, nodes: rest.slice(i, i + req.maxParallel).map(view) });
  return {
    component: req.component,
    version: req.version,
    kind: req.direction,
    lockKey,
    batches,
    alreadyAtVersion: already,
    maxFailures: resolveCount(req.maxFailures, todo.length),
    skipped,
  };
}
