import type { RolloutDetail, RolloutNodeView, RolloutPlanV1, RolloutStrategyV1 } from '@lockstep/contracts';

/** Builders of the API's rollout answers, for the CLI's specs. */

export const ROLLOUT_ID = '0b9f3c1e-8d2a-4e5f-9a6b-7c8d9e0f1a2b';

export const rolloutNode = (nodeId: string, over: Partial<RolloutNodeView> = {}): RolloutNodeView => ({
  nodeId,
  batch: 1,
  canary: false,
  fromVersion: '1.0.0',
  status: 'pending',
  step: null,
  percent: 0,
  error: null,
  startedAt: null,
  finishedAt: null,
  ...over,
});

/** A rollout snapshot; counts follow the nodes given. */
/** A rollout's strategy as the API shows it (counts resolved). */
export const rolloutStrategy = (over: Partial<RolloutStrategyV1> = {}): RolloutStrategyV1 => ({
  maxParallel: 1,
  canary: 1,
  minHealthyMs: 10_000,
  healthyDeadlineMs: 300_000,
  progressDeadlineMs: 600_000,
  maxFailures: 0,
  autoRollback: true,
  pauseBetweenBatchesMs: 0,
  ...over,
});

export function rolloutSnapshot(over: Partial<Omit<RolloutDetail, 'counts'>> = {}): RolloutDetail {
  const nodes = over.nodes ?? [rolloutNode('node-1', { batch: 0, canary: true }), rolloutNode('node-2')];
  const count = (...statuses: string[]) => nodes.filter((n) => statuses.includes(n.status)).length;
  return {
    id: ROLLOUT_ID,
    component: 'demo',
    targetVersion: '1.1.0',
    kind: 'upgrade',
    selector: 'all',
    state: 'running',
    reason: null,
    strategy: rolloutStrategy(),
    rollbackOf: null,
    conductor: 'sched-1',
    lockToken: 42,
    skipped: [],
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: null,
    ...over,
    nodes,
    counts: {
      total: nodes.length,
      pending: count('pending'),
      inProgress: count('installing', 'reverting'),
      succeeded: count('succeeded'),
      failed: count('failed', 'revert_failed'),
      rolledBack: count('rolled_back', 'reverted'),
    },
  };
}

export const rolloutPlan = (over: Partial<RolloutPlanV1> = {}): RolloutPlanV1 => ({
  component: 'demo',
  version: '1.1.0',
  kind: 'upgrade',
  lockKey: 'cluster',
  skipped: [],
  batches: [
    { index: 0, canary: true, nodes: [{ id: 'node-1', fromVersion: '1.0.0' }] },
    {
      index: 1,
      canary: false,
      nodes: [
        { id: 'node-2', fromVersion: '1.0.0' },
        { id: 'node-3', fromVersion: null },
      ],
    },
  ],
  alreadyAtVersion: ['node-4'],
  maxFailures: 0,
  ...over,
});
