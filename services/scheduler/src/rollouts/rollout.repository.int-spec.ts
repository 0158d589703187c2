import type { AuditActor, InstallFinishedV1, InstallProgressV1, RolloutPlanV1 } from '@lockstep/contracts';
import {
  AuditLogEntity,
  createDataSource,
  OutboxMessageEntity,
  RolloutEntity,
  runMigrations,
  type RolloutStrategy,
} from '@lockstep/persistence';
import { createTestDatabase, type TestDatabase } from '@lockstep/testing';
import type { DataSource } from 'typeorm';
import { ActiveRolloutError, RolloutRepository } from './rollout.repository';

const strategy: RolloutStrategy = {
  maxParallel: 2,
  canary: 1,
  minHealthyMs: 0,
  healthyDeadlineMs: 1000,
  progressDeadlineMs: 60_000,
  maxFailures: 0,
  autoRollback: true,
  pauseBetweenBatchesMs: 0,
};
const operator: AuditActor = {
  kind: 'token',
  id: 'tok_op',
  name: 'ops',
  role: 'operator',
  components: null,
  source: '10.0.0.1',
};
const audit = { actor: operator, action: 'rollout.create', params: { component: 'demo' } };

const artifact = { uri: 's3://bucket/demo-1.1.0.tar.gz', sha256: 'a'.repeat(64), length: 1 };

const plan = (ids: string[]): RolloutPlanV1 => ({
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
const nodeOf = (commandId: string) => commandId.split('.')[1];

const finished = (commandId: string, over: Partial<InstallFinishedV1> = {}): InstallFinishedV1 => ({
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

const progress = (
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

describe(RolloutRepository.name, () => {
  let db: TestDatabase;
  let ds: DataSource;
  let sut: RolloutRepository;

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = createDataSource(db.url);
    await ds.initialize();
    await runMigrations(ds);
    sut = new RolloutRepository(ds);
  });
  afterAll(async () => {
    await ds.destroy();
    await db.drop();
  });
  // Each test drives a rollout of its own, and the database admits one active rollout at a time.
  beforeEach(() => ds.query(`UPDATE rollouts SET state = 'succeeded' WHERE state IN ('planned', 'running', 'paused')`));

  /** A stored rollout whose nodes were all sent an install command `<id>.<node>.install`, fenced by token 1. */
  const sentRollout = async (ids: string[]): Promise<string> => {
    const r = await sut.create(plan(ids), audit, { artifact, selector: 'all', strategy, kind: 'upgrade' });
    await sut.claim(r.id, 1, 'spec');
    await sut.markSent(
      r.id,
      ids.map((nodeId) => ({ nodeId, commandId: `${r.id}.${nodeId}.install` })),
      'installing',
      1,
    );
    return r.id;
  };

  const node = async (rolloutId: string, nodeId: string) =>
    (await sut.nodes(rolloutId)).find((n) => n.nodeId === nodeId)!;

  it('stores a plan with every node in its batch and announces it with the node count, in one transaction', async () => {
    const r = await sut.create(plan(['a1', 'a2', 'a3']), audit, {
      artifact,
      selector: 'all',
      strategy,
      kind: 'upgrade',
    });

    const nodes = await sut.nodes(r.id);
    const outbox = await ds.getRepository(OutboxMessageEntity).find();
    const announced = outbox
      .map((o) => o.event as { data: { rolloutId: string; state: string; nodes: unknown } })
      .find((e) => e.data.rolloutId === r.id);

    expect(nodes.map((n) => [n.batch, n.nodeId, n.canary, n.fromVersion, n.status])).toEqual([
      [0, 'a1', true, '1.0.0', 'pending'],
      [1, 'a2', false, null, 'pending'],
      [1, 'a3', false, null, 'pending'],
    ]);
    expect((await sut.get(r.id))?.state).toBe('planned');
    expect(announced?.data).toMatchObject({
      state: 'planned',
      nodes: { total: 3, succeeded: 0, failed: 0, rolledBack: 0 },
    });
  });

  it('lists the rollouts that need a conductor, oldest first', async () => {
    const before = (await sut.active()).map((r) => r.id);
    const done = await sentRollout(['b1']);
    await sut.applyFinished([finished(`${done}.b1.install`)]);
    await sut.transition(done, 1, 'running');
    await sut.transition(done, 1, 'succeeded');
    const reverting = await sentRollout(['b2']);
    await sut.applyFinished([finished(`${reverting}.b2.install`)]);
    await sut.transition(reverting, 1, 'running');
    await sut.transition(reverting, 1, 'failed');
    // its conductor died after sending the revert, whose outcome came in before a new one took over:
    // nothing is left to revert, but it must still reach rolled_back (npm run faults found it stuck)
    const reverted = await sentRollout(['b4']);
    await sut.applyFinished([finished(`${reverted}.b4.install`)]);
    await sut.transition(reverted, 1, 'running');
    await sut.transition(reverted, 1, 'failed');
    await sut.markSent(reverted, [{ nodeId: 'b4', commandId: `${reverted}.b4.revert` }], 'reverting', 1);
    await sut.applyFinished([finished(`${reverted}.b4.revert`)]);
    const running = await sentRollout(['b3']);

    const active = (await sut.active()).map((r) => r.id);

    expect(active).toEqual([...before, reverting, reverted, running]);
  });

  it('applies a batch of outcomes as one by one: the first of a command counts, and only nodes still installing change', async () => {
    const id = await sentRollout(['c1', 'c2', 'c3', 'c4']);
    await sut.applyFinished([finished(`${id}.c4.install`)]);

    const changed = await sut.applyFinished([
      finished(`${id}.c1.install`, { backupId: 'bk-1' }),
      finished(`${id}.c2.install`, { result: 'rejected', error: 'STALE_FENCING_TOKEN: old', failedStep: undefined }),
      finished(`${id}.c1.install`, { result: 'failed', error: 'a late duplicate' }),
      finished(`${id}.c4.install`, { result: 'failed', error: 'already finished' }),
      finished('unknown.command.install'),
    ]);

    expect(changed).toEqual([id]);
    expect(await node(id, 'c1')).toMatchObject({ status: 'succeeded', error: null, backupId: 'bk-1', percent: 100 });
    expect(await node(id, 'c2')).toMatchObject({ status: 'failed', error: 'STALE_FENCING_TOKEN: old' });
    expect(await node(id, 'c3')).toMatchObject({ status: 'installing' });
    expect(await node(id, 'c4')).toMatchObject({ status: 'succeeded' });
    expect(await sut.applyFinished([finished(`${id}.c1.install`)])).toEqual([]);
  });

  it("takes a node's outcome and progress only from that node: another agent reporting for its command changes nothing", async () => {
    const id = await sentRollout(['f1', 'f2']);

    // f2's agent may publish only as f2, but can guess f1's command id
    const changed = await sut.applyFinished([
      finished(`${id}.f1.install`, { nodeId: 'f2', result: 'failed', error: 'forged by f2' }),
      finished(`${id}.f1.install`),
    ]);
    await sut.applyFinished([finished(`${id}.f2.install`, { nodeId: 'f1' })]);
    await sut.applyProgress([progress(`${id}.f2.install`, 'swapping', 75, 'f1')]);

    expect(changed).toEqual([id]);
    expect(await node(id, 'f1')).toMatchObject({ status: 'succeeded', error: null });
    expect(await node(id, 'f2')).toMatchObject({ status: 'installing', percent: 0 });
  });

  it('maps outcomes of revert commands to reverted and revert_failed', async () => {
    const id = await sentRollout(['d1', 'd2']);
    await sut.applyFinished([finished(`${id}.d1.install`), finished(`${id}.d2.install`)]);
    await sut.markSent(
      id,
      [
        { nodeId: 'd1', commandId: `${id}.d1.revert` },
        { nodeId: 'd2', commandId: `${id}.d2.revert` },
      ],
      'reverting',
      1,
    );

    await sut.applyFinished([
      finished(`${id}.d1.revert`, { backupId: 'ignored' }),
      finished(`${id}.d2.revert`, { result: 'failed', failedStep: 'swapping', error: 'disk full' }),
    ]);

    expect(await node(id, 'd1')).toMatchObject({ status: 'reverted', backupId: null });
    expect(await node(id, 'd2')).toMatchObject({ status: 'revert_failed', error: 'swapping: disk full' });
  });

  it('records a batch of progress as one by one: the last step and the highest percent per command', async () => {
    const id = await sentRollout(['e1', 'e2', 'e3']);
    await sut.applyFinished([finished(`${id}.e3.install`)]);

    await sut.applyProgress([
      progress(`${id}.e1.install`, 'downloading', 10),
      progress(`${id}.e2.install`, 'preflight', 5),
      progress(`${id}.e1.install`, 'verifying', 35),
      progress(`${id}.e3.install`, 'swapping', 75),
    ]);
    await sut.applyProgress([progress(`${id}.e1.install`, 'unpacking', 20)]);

    expect(await node(id, 'e1')).toMatchObject({ step: 'unpacking', percent: 35 });
    expect(await node(id, 'e2')).toMatchObject({ step: 'preflight', percent: 5 });
    expect(await node(id, 'e3')).toMatchObject({ status: 'succeeded', percent: 100 });
  });

  it('refuses a second active rollout with ActiveRolloutError, and stores nothing of it', async () => {
    await sut.create(plan(['z1']), audit, { artifact, selector: 'all', strategy, kind: 'upgrade' });
    const before = await ds.getRepository(RolloutEntity).count();

    const act = sut.create(plan(['z2']), audit, { artifact, selector: 'all', strategy, kind: 'upgrade' });

    await expect(act).rejects.toThrow(ActiveRolloutError);
    expect(await ds.getRepository(RolloutEntity).count()).toBe(before);
  });

  it('ignores a rollout whose token is stale when marking sends', async () => {
    const id = await sentRollout(['f1']);
    await sut.claim(id, 5, 'newer');

    const marked = await sut.markSent(id, [{ nodeId: 'f1', commandId: `${id}.f1.install` }], 'installing', 1);

    expect(marked).toEqual({ stale: true, marked: [] });
    expect((await ds.getRepository(RolloutEntity).findOneBy({ id }))?.conductor).toBe('newer');
  });

  it('marks only nodes the state machine lets take a command: one whose outcome arrived is left alone', async () => {
    const id = await sentRollout(['h1', 'h2']);
    await sut.applyFinished([finished(`${id}.h1.install`)]);

    const marked = await sut.markSent(
      id,
      ['h1', 'h2'].map((nodeId) => ({ nodeId, commandId: `${id}.${nodeId}.install` })),
      'installing',
      1,
    );

    expect(marked).toEqual({ stale: false, marked: ['h2'] });
    expect(await node(id, 'h1')).toMatchObject({ status: 'succeeded', percent: 100 });
  });

  it('counts nodes past the progress deadline on the database clock as timed out (installing) or revert_failed (reverting), as batch progress shows', async () => {
    const id = await sentRollout(['j1', 'j2', 'j3']);
    await sut.applyFinished([finished(`${id}.j2.install`)]);
    await sut.markSent(id, [{ nodeId: 'j2', commandId: `${id}.j2.revert` }], 'reverting', 1);
    // The commands of j1 and j2 went out two seconds ago by Postgres's clock; j3's just now.
    await ds.query(
      `UPDATE rollout_nodes SET started_at = now() - interval '2 seconds' WHERE rollout_id = $1 AND node_id <> 'j3'`,
      [id],
    );
    const before = await sut.batchProgress(id, ['j1', 'j2', 'j3'], 1000);

    const marked = await sut.markTimedOut(id, ['j1', 'j2', 'j3'], 1, 1000);
    const after = await sut.batchProgress(id, ['j1', 'j2', 'j3'], 1000);

    expect(before).toMatchObject({ state: 'planned', failed: 0 });
    expect(before.open.sort((a, b) => a.nodeId.localeCompare(b.nodeId))).toEqual([
      { nodeId: 'j1', overdue: true },
      { nodeId: 'j2', overdue: true },
      { nodeId: 'j3', overdue: false },
    ]);
    expect(marked.sort()).toEqual(['j1', 'j2']);
    expect(await node(id, 'j1')).toMatchObject({
      status: 'timed_out',
      error: expect.stringMatching(/progress deadline \(1000 ms\)/),
    });
    expect(await node(id, 'j2')).toMatchObject({ status: 'revert_failed' });
    expect(after).toEqual({ state: 'planned', failed: 1, open: [{ nodeId: 'j3', overdue: false }] });
  });

  it('records the late outcome of a node that timed out, and lets the revert take it', async () => {
    const id = await sentRollout(['t1', 't2']);
    await ds.query(`UPDATE rollout_nodes SET started_at = now() - interval '2 seconds' WHERE rollout_id = $1`, [id]);
    await sut.markTimedOut(id, ['t1', 't2'], 1, 1000);

    const changed = await sut.applyFinished([finished(`${id}.t1.install`)]);
    await sut.markSent(id, [{ nodeId: 't2', commandId: `${id}.t2.revert` }], 'reverting', 1);

    expect(changed).toEqual([id]);
    expect(await node(id, 't1')).toMatchObject({ status: 'succeeded' });
    expect(await node(id, 't2')).toMatchObject({ status: 'reverting' });
  });

  describe('the abort-then-late-success race', () => {
    /** rollout.changed events of a rollout waiting in the outbox (no relay runs here). */
    const announced = async (rolloutId: string) =>
      (await ds.getRepository(OutboxMessageEntity).find({ order: { id: 'ASC' } }))
        .map((o) => o.event as { data: { rolloutId: string; state: string; previousState: string | null } })
        .filter((e) => e.data.rolloutId === rolloutId)
        .map((e) => `${e.data.previousState} → ${e.data.state}`);

    it("refuses the conductor's late move to succeeded after an operator's abort: it stays aborted, nothing announced", async () => {
      const id = await sentRollout(['g1']);
      await sut.transition(id, 1, 'running');
      await sut.applyFinished([finished(`${id}.g1.install`)]);
      await sut.operatorAction(id, 'abort', operator);

      const late = await sut.transition(id, 1, 'succeeded', 'all 1 nodes at 1.1.0');

      expect(late).toEqual({ outcome: 'refused', state: 'aborted' });
      expect(await sut.get(id)).toMatchObject({ state: 'aborted', reason: 'abort by operator' });
      expect(await announced(id)).toEqual(['null → planned', 'planned → running', 'running → aborted']);
    });

    it('tells a refused move apart from a stale token, and writes neither', async () => {
      const id = await sentRollout(['g2']);
      await sut.transition(id, 1, 'running');
      await sut.operatorAction(id, 'abort', operator);
      await sut.claim(id, 7, 'newer');

      const stale = await sut.transition(id, 1, 'succeeded');
      const refused = await sut.transition(id, 7, 'succeeded');

      expect(stale).toEqual({ outcome: 'stale' });
      expect(refused).toEqual({ outcome: 'refused', state: 'aborted' });
      expect((await sut.get(id))?.state).toBe('aborted');
      expect(await announced(id)).toEqual(['null → planned', 'planned → running', 'running → aborted']);
    });
  });

  it.each([
    ['pause', { ok: true, state: 'paused' }],
    ['resume', { ok: false, message: 'cannot resume a rollout that is planned' }],
    ['abort', { ok: true, state: 'aborted' }],
  ] as const)('lets an operator %s a planned rollout only as the state machine allows', async (action, expected) => {
    const r = await sut.create(plan(['i1']), audit, { artifact, selector: 'all', strategy, kind: 'upgrade' });

    const result = await sut.operatorAction(r.id, action, operator);

    expect(result).toEqual(expected);
    expect((await sut.get(r.id))?.state).toBe(result.ok ? result.state : 'planned');
  });

  describe('audit records', () => {
    const recordsOf = (target: string) =>
      ds.getRepository(AuditLogEntity).find({ where: { target }, order: { id: 'ASC' } });

    it('records the creation and each operator action that moved the rollout, by the token that asked, and nothing for a refused one', async () => {
      const r = await sut.create(plan(['k1']), audit, { artifact, selector: 'all', strategy, kind: 'upgrade' });

      await sut.operatorAction(r.id, 'pause', operator);
      await sut.operatorAction(r.id, 'pause', operator);
      await sut.operatorAction(r.id, 'abort', operator);

      expect((await recordsOf(r.id)).map((a) => [a.action, a.actorId, a.params])).toEqual([
        ['rollout.create', 'tok_op', { component: 'demo' }],
        ['rollout.pause', 'tok_op', { from: 'planned', to: 'paused' }],
        ['rollout.abort', 'tok_op', { from: 'paused', to: 'aborted' }],
      ]);
    });

    it('records a takeover when a newer holder claims a rollout another holder had, not a first claim or a re-claim', async () => {
      const r = await sut.create(plan(['k2']), audit, { artifact, selector: 'all', strategy, kind: 'upgrade' });

      await sut.claim(r.id, 3, 'sched-a');
      await sut.claim(r.id, 3, 'sched-a');
      await sut.claim(r.id, 9, 'sched-b');
      await sut.claim(r.id, 5, 'sched-stale');

      const takeovers = (await recordsOf('cluster')).filter((a) => a.params.rolloutId === r.id);
      expect(takeovers.map((a) => [a.action, a.actorKind, a.params])).toEqual([
        [
          'lock.takeover',
          'system',
          { rolloutId: r.id, fromConductor: 'sched-a', fromToken: 3, toToken: 9, replica: 'sched-b' },
        ],
      ]);
    });

    it("records the conductor's own decision only when its move happened", async () => {
      const id = await sentRollout(['k3']);
      const decision = { actor: operator, action: 'rollout.auto-rollback', params: { reason: 'k3 failed' } };

      await sut.transition(id, 1, 'running');
      await sut.transition(id, 1, 'failed', 'k3 failed', decision);
      await sut.transition(id, 1, 'failed', 'k3 failed', decision);

      expect((await recordsOf(id)).map((a) => a.action)).toEqual(['rollout.create', 'rollout.auto-rollback']);
    });
  });
});
