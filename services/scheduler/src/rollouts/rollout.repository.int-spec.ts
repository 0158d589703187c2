import { AuditLogEntity, OutboxMessageEntity, RolloutEntity } from '@lockstep/persistence';
import { artifact, audit, finished, operator, plan, strategy, rolloutDatabase } from '../testing/rollout-db-fixtures';
import { ActiveRolloutError, RolloutRepository } from './rollout.repository';

describe(RolloutRepository.name, () => {
  const { db, open, close, reset, sentRollout, node } = rolloutDatabase();
  beforeAll(open);
  afterAll(close);
  beforeEach(reset);

  it('stores a plan with every node in its batch and announces it with the node count, in one transaction', async () => {
    const r = await db.rollouts.create(plan(['a1', 'a2', 'a3']), audit, {
      artifact,
      selector: 'all',
      strategy,
      kind: 'upgrade',
    });

    const nodes = await db.rollouts.nodes(r.id);
    const outbox = await db.ds.getRepository(OutboxMessageEntity).find();
    const announced = outbox
      .map((o) => o.event as { data: { rolloutId: string; state: string; nodes: unknown } })
      .find((e) => e.data.rolloutId === r.id);

    expect(nodes.map((n) => [n.batch, n.nodeId, n.canary, n.fromVersion, n.status])).toEqual([
      [0, 'a1', true, '1.0.0', 'pending'],
      [1, 'a2', false, null, 'pending'],
      [1, 'a3', false, null, 'pending'],
    ]);
    expect((await db.rollouts.get(r.id))?.state).toBe('planned');
    expect(announced?.data).toMatchObject({
      state: 'planned',
      nodes: { total: 3, succeeded: 0, failed: 0, rolledBack: 0 },
    });
  });

  it('lists the rollouts that need a conductor, oldest first', async () => {
    const before = (await db.rollouts.active()).map((r) => r.id);
    const done = await sentRollout(['b1']);
    await db.outcomes.applyFinished([finished(`${done}.b1.install`)]);
    await db.rollouts.transition(done, 1, 'running');
    await db.rollouts.transition(done, 1, 'succeeded');
    const reverting = await sentRollout(['b2']);
    await db.outcomes.applyFinished([finished(`${reverting}.b2.install`)]);
    await db.rollouts.transition(reverting, 1, 'running');
    await db.rollouts.transition(reverting, 1, 'failed');
    // its conductor died after sending the revert, whose outcome came in before a new one took over:
    // nothing is left to revert, but it must still reach rolled_back (npm run faults found it stuck)
    const reverted = await sentRollout(['b4']);
    await db.outcomes.applyFinished([finished(`${reverted}.b4.install`)]);
    await db.rollouts.transition(reverted, 1, 'running');
    await db.rollouts.transition(reverted, 1, 'failed');
    await db.rollouts.markSent(reverted, [{ nodeId: 'b4', commandId: `${reverted}.b4.revert` }], 'reverting', 1);
    await db.outcomes.applyFinished([finished(`${reverted}.b4.revert`)]);
    const running = await sentRollout(['b3']);

    const active = (await db.rollouts.active()).map((r) => r.id);

    expect(active).toEqual([...before, reverting, reverted, running]);
  });

  it('refuses a second active rollout with ActiveRolloutError, and stores nothing of it', async () => {
    await db.rollouts.create(plan(['z1']), audit, { artifact, selector: 'all', strategy, kind: 'upgrade' });
    const before = await db.ds.getRepository(RolloutEntity).count();

    const act = db.rollouts.create(plan(['z2']), audit, { artifact, selector: 'all', strategy, kind: 'upgrade' });

    await expect(act).rejects.toThrow(ActiveRolloutError);
    expect(await db.ds.getRepository(RolloutEntity).count()).toBe(before);
  });

  it('ignores a rollout whose token is stale when marking sends', async () => {
    const id = await sentRollout(['f1']);
    await db.rollouts.claim(id, 5, 'newer');

    const marked = await db.rollouts.markSent(id, [{ nodeId: 'f1', commandId: `${id}.f1.install` }], 'installing', 1);

    expect(marked).toEqual({ stale: true, marked: [] });
    expect((await db.ds.getRepository(RolloutEntity).findOneBy({ id }))?.conductor).toBe('newer');
  });

  it('marks only nodes the state machine lets take a command: one whose outcome arrived is left alone', async () => {
    const id = await sentRollout(['h1', 'h2']);
    await db.outcomes.applyFinished([finished(`${id}.h1.install`)]);

    const marked = await db.rollouts.markSent(
      id,
      ['h1', 'h2'].map((nodeId) => ({ nodeId, commandId: `${id}.${nodeId}.install` })),
      'installing',
      1,
    );

    expect(marked).toEqual({ stale: false, marked: ['h2'] });
    expect(await node(id, 'h1')).toMatchObject({ status: 'succeeded', percent: 100 });
  });

  it('counts nodes past the progress deadline on the database clock as timed out (installing) or revert_timed_out (reverting), as batch progress shows', async () => {
    const id = await sentRollout(['j1', 'j2', 'j3']);
    await db.outcomes.applyFinished([finished(`${id}.j2.install`)]);
    await db.rollouts.markSent(id, [{ nodeId: 'j2', commandId: `${id}.j2.revert` }], 'reverting', 1);
    // The commands of j1 and j2 went out two seconds ago by Postgres's clock; j3's just now.
    await db.ds.query(
      `UPDATE rollout_nodes SET started_at = now() - interval '2 seconds' WHERE rollout_id = $1 AND node_id <> 'j3'`,
      [id],
    );
    const before = await db.rollouts.batchProgress(id, ['j1', 'j2', 'j3'], 1000);

    const marked = await db.rollouts.markTimedOut(id, ['j1', 'j2', 'j3'], 1, 1000);
    const after = await db.rollouts.batchProgress(id, ['j1', 'j2', 'j3'], 1000);

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
    expect(await node(id, 'j2')).toMatchObject({ status: 'revert_timed_out' });
    expect(after).toEqual({ state: 'planned', failed: 1, open: [{ nodeId: 'j3', overdue: false }] });
  });

  describe('the abort-then-late-success race', () => {
    /** rollout.changed events of a rollout waiting in the outbox (no relay runs here). */
    const announced = async (rolloutId: string) =>
      (await db.ds.getRepository(OutboxMessageEntity).find({ order: { id: 'ASC' } }))
        .map((o) => o.event as { data: { rolloutId: string; state: string; previousState: string | null } })
        .filter((e) => e.data.rolloutId === rolloutId)
        .map((e) => `${e.data.previousState} → ${e.data.state}`);

    it("refuses the conductor's late move to succeeded after an operator's abort: it stays aborted, nothing announced", async () => {
      const id = await sentRollout(['g1']);
      await db.rollouts.transition(id, 1, 'running');
      await db.outcomes.applyFinished([finished(`${id}.g1.install`)]);
      await db.rollouts.operatorAction(id, 'abort', operator);

      const late = await db.rollouts.transition(id, 1, 'succeeded', 'all 1 nodes at 1.1.0');

      expect(late).toEqual({ outcome: 'refused', state: 'aborted' });
      expect(await db.rollouts.get(id)).toMatchObject({ state: 'aborted', reason: 'abort by operator' });
      expect(await announced(id)).toEqual(['null → planned', 'planned → running', 'running → aborted']);
    });

    it('tells a refused move apart from a stale token, and writes neither', async () => {
      const id = await sentRollout(['g2']);
      await db.rollouts.transition(id, 1, 'running');
      await db.rollouts.operatorAction(id, 'abort', operator);
      await db.rollouts.claim(id, 7, 'newer');

      const stale = await db.rollouts.transition(id, 1, 'succeeded');
      const refused = await db.rollouts.transition(id, 7, 'succeeded');

      expect(stale).toEqual({ outcome: 'stale' });
      expect(refused).toEqual({ outcome: 'refused', state: 'aborted' });
      expect((await db.rollouts.get(id))?.state).toBe('aborted');
      expect(await announced(id)).toEqual(['null → planned', 'planned → running', 'running → aborted']);
    });
  });

  it.each([
    ['pause', { ok: true, state: 'paused' }],
    ['resume', { ok: false, message: 'cannot resume a rollout that is planned' }],
    ['abort', { ok: true, state: 'aborted' }],
  ] as const)('lets an operator %s a planned rollout only as the state machine allows', async (action, expected) => {
    const r = await db.rollouts.create(plan(['i1']), audit, { artifact, selector: 'all', strategy, kind: 'upgrade' });

    const result = await db.rollouts.operatorAction(r.id, action, operator);

    expect(result).toEqual(expected);
    expect((await db.rollouts.get(r.id))?.state).toBe(result.ok ? result.state : 'planned');
  });

  describe('audit records', () => {
    const recordsOf = (target: string) =>
      db.ds.getRepository(AuditLogEntity).find({ where: { target }, order: { id: 'ASC' } });

    it('records the creation and each operator action that moved the rollout, by the token that asked, and nothing for a refused one', async () => {
      const r = await db.rollouts.create(plan(['k1']), audit, { artifact, selector: 'all', strategy, kind: 'upgrade' });

      await db.rollouts.operatorAction(r.id, 'pause', operator);
      await db.rollouts.operatorAction(r.id, 'pause', operator);
      await db.rollouts.operatorAction(r.id, 'abort', operator);

      expect((await recordsOf(r.id)).map((a) => [a.action, a.actorId, a.params])).toEqual([
        ['rollout.create', 'tok_op', { component: 'demo' }],
        ['rollout.pause', 'tok_op', { from: 'planned', to: 'paused' }],
        ['rollout.abort', 'tok_op', { from: 'paused', to: 'aborted' }],
      ]);
    });

    it('records a takeover when a newer holder claims a rollout another holder had, not a first claim or a re-claim', async () => {
      const r = await db.rollouts.create(plan(['k2']), audit, { artifact, selector: 'all', strategy, kind: 'upgrade' });

      await db.rollouts.claim(r.id, 3, 'sched-a');
      await db.rollouts.claim(r.id, 3, 'sched-a');
      await db.rollouts.claim(r.id, 9, 'sched-b');
      await db.rollouts.claim(r.id, 5, 'sched-stale');

      const takeovers = (await recordsOf('cluster')).filter((a) => a.params.rolloutId === r.id);
      expect(takeovers.map((a) => [a.action, a.actorKind, a.params])).toEqual([
        [
          'lock.takeover',
          'system',
          { rolloutId: r.id, fromConductor: 'sched-a', fromToken: 3, toToken: 9, replica: 'sched-b' },
        ],
      ]);
    });

    it('records a decision to send commands with the nodes it marked, and nothing when it marked none', async () => {
      const id = await sentRollout(['k4', 'k5']);
      await db.outcomes.applyFinished([finished(`${id}.k4.install`)]);
      const decision = { actor: operator, action: 'rollout.late-revert', params: { version: '1.1.0' } };
      const revert = (nodeId: string) => [{ nodeId, commandId: `${id}.${nodeId}.2.revert` }];

      await db.rollouts.markSent(id, [...revert('k4'), ...revert('k5')], 'reverting', 1, decision);
      await db.rollouts.markSent(id, revert('k5'), 'reverting', 1, decision); // k5 is still installing

      expect((await recordsOf(id)).slice(1).map((a) => [a.action, a.params])).toEqual([
        ['rollout.late-revert', { version: '1.1.0', nodes: ['k4'] }],
      ]);
    });

    it("records the conductor's own decision only when its move happened", async () => {
      const id = await sentRollout(['k3']);
      const decision = { actor: operator, action: 'rollout.auto-rollback', params: { reason: 'k3 failed' } };

      await db.rollouts.transition(id, 1, 'running');
      await db.rollouts.transition(id, 1, 'failed', 'k3 failed', decision);
      await db.rollouts.transition(id, 1, 'failed', 'k3 failed', decision);

      expect((await recordsOf(id)).map((a) => a.action)).toEqual(['rollout.create', 'rollout.auto-rollback']);
    });
  });
});
