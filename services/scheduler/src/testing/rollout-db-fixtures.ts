import type { AuditActor, InstallFinishedV1, InstallProgressV1, RolloutPlanV1 } from '@lockstep/contracts';
import { createDataSource, runMigrations, type RolloutStrategy } from '@lockstep/persistence';
import { createTestDatabase, type TestDatabase } from '@lockstep/testing';
import type { DataSource } from 'typeorm';
import { InstallOutcomesRepository } from '../rollouts/install-outcomes.repository';
import { RolloutRepository } from '../rollouts/rollout.repository';

/** Builders and a migrated database for the integration specs of the rollout repositories. */

export const strategy: RolloutStrategy = {
  maxParallel: 2,
  canary: 1,
  minHealthyMs: 0,
  healthyDeadlineMs: 1000,
  progressDeadlineMs: 60_000,
  maxFailures: 0,
  autoRollback: true,
  pauseBetweenBatchesMs: 0,
};
export const operator: AuditActor = {
  kind: 'token',
  id: 'tok_op',
  name: 'ops',
  role: 'operator',
  components: null,
  source: '10.0.0.1',
};
export const audit = { actor: operator, action: 'rollout.create', params: { component: 'demo' } };

export const artifact = { uri: 's3://bucket/demo-1.1.0.tar.gz', sha256: 'a'.repeat(64), length: 1 };

export const plan = (ids: string[]): RolloutPlanV1 => ({
  component: 'demo',
  version: '1.1.0',
  kind: 'upgrade',
  lockKey: 'cluster',
  batches: [
    { index: 0, canary: true, nodes: [{ id: ids[0], fromVersion: '1.0.0' }] },
    { index: 1, canary: false, nodes: ids.slice(1).map((id) => ({ id, fromVersion: null })) },
  ],
  alreadyAtVersion: [],
  maxFailures: 0,
  skipped: [],
});

/** Command ids are `<rollout>.<node>.<action>`: the node of an event is the one its command went to. */
export const nodeOf = (commandId: string) => commandId.split('.')[1];

export const finished = (commandId: string, over: Partial<InstallFinishedV1> = {}): InstallFinishedV1 => ({
  commandId,
  rolloutId: 'r',
  nodeId: nodeOf(commandId),
  component: 'demo',
  version: '1.1.0',
  runningVersion: '1.1.0',
  previousVersion: '1.0.0',
  result: 'succeeded',
  noop: false,
  ...over,
});

export const progress = (
  commandId: string,
  step: InstallProgressV1['step'],
  percent: number,
  nodeId = nodeOf(commandId),
): InstallProgressV1 => ({
  commandId,
  rolloutId: 'r',
  nodeId,
  component: 'demo',
  version: '1.1.0',
  step,
  percent,
});

/**
 * A fresh migrated database for one spec file, the repositories over it, and a rollout whose
 * nodes were all sent an install. The spec runs `open` before all its tests, `close` after them,
 * and `reset` before each (no jest globals here: this file is built with the services).
 */
export function rolloutDatabase() {
  const db = {} as { ds: DataSource; rollouts: RolloutRepository; outcomes: InstallOutcomesRepository };
  let test: TestDatabase;

  const open = async () => {
    test = await createTestDatabase();
    db.ds = createDataSource(test.url);
    await db.ds.initialize();
    await runMigrations(db.ds);
    db.rollouts = new RolloutRepository(db.ds);
    db.outcomes = new InstallOutcomesRepository(db.ds);
  };
  const close = async () => {
    await db.ds.destroy();
    await test.drop();
  };
  // Each test drives a rollout of its own, and the database admits one active rollout at a time.
  const reset = async () => {
    await db.ds.query(`UPDATE rollouts SET state = 'succeeded' WHERE state IN ('planned', 'running', 'paused')`);
  };

  /** A stored rollout whose nodes were all sent an install command `<id>.<node>.install`, fenced by token 1. */
  const sentRollout = async (ids: string[]): Promise<string> => {
    const r = await db.rollouts.create(plan(ids), audit, { artifact, selector: 'all', strategy, kind: 'upgrade' });
    await db.rollouts.claim(r.id, 1, 'spec');
    await db.rollouts.markSent(
      r.id,
      ids.map((nodeId) => ({ nodeId, commandId: `${r.id}.${nodeId}.install` })),
      'installing',
      1,
    );
    return r.id;
  };

  const node = async (rolloutId: string, nodeId: string) =>
    (await db.rollouts.nodes(rolloutId)).find((n) => n.nodeId === nodeId)!;

  return { db, open, close, reset, sentRollout, node };
}
