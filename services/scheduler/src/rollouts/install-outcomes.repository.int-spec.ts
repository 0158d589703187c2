import { finished, progress, rolloutDatabase } from '../testing/rollout-db-fixtures';
import { CommandWithdrawalRepository } from './command-withdrawal.repository';
import { InstallOutcomesRepository } from './install-outcomes.repository';

/**
 * Agents' outcomes and progress applied to rollout nodes, also when they come late: after the
 * progress deadline, after a revert was sent, after the rollout ended (issue 12, defect 1).
 */
describe(InstallOutcomesRepository.name, () => {
  const { db, open, close, reset, sentRollout, node } = rolloutDatabase();
  beforeAll(open);
  afterAll(close);
  beforeEach(reset);

  it('applies a batch of outcomes as one by one: the first of a command counts, and only nodes still installing change', async () => {
    const id = await sentRollout(['c1', 'c2', 'c3', 'c4']);
    await db.outcomes.applyFinished([finished(`${id}.c4.install`)]);

    const changed = await db.outcomes.applyFinished([
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
    expect(await db.outcomes.applyFinished([finished(`${id}.c1.install`)])).toEqual([]);
  });

  it("takes a node's outcome and progress only from that node: another agent reporting for its command changes nothing", async () => {
    const id = await sentRollout(['f1', 'f2']);

    // f2's agent may publish only as f2, but can guess f1's command id
    const changed = await db.outcomes.applyFinished([
      finished(`${id}.f1.install`, { nodeId: 'f2', result: 'failed', error: 'forged by f2' }),
      finished(`${id}.f1.install`),
    ]);
    await db.outcomes.applyFinished([finished(`${id}.f2.install`, { nodeId: 'f1' })]);
    await db.outcomes.applyProgress([progress(`${id}.f2.install`, 'swapping', 75, 'f1')]);

    expect(changed).toEqual([id]);
    expect(await node(id, 'f1')).toMatchObject({ status: 'succeeded', error: null });
    expect(await node(id, 'f2')).toMatchObject({ status: 'installing', percent: 0 });
  });

  it('maps outcomes of revert commands to reverted and revert_failed', async () => {
    const id = await sentRollout(['d1', 'd2']);
    await db.outcomes.applyFinished([finished(`${id}.d1.install`), finished(`${id}.d2.install`)]);
    await db.rollouts.markSent(
      id,
      [
        { nodeId: 'd1', commandId: `${id}.d1.revert` },
        { nodeId: 'd2', commandId: `${id}.d2.revert` },
      ],
      'reverting',
      1,
    );

    await db.outcomes.applyFinished([
      finished(`${id}.d1.revert`, { backupId: 'ignored' }),
      finished(`${id}.d2.revert`, { result: 'failed', failedStep: 'swapping', error: 'disk full' }),
    ]);

    expect(await node(id, 'd1')).toMatchObject({ status: 'reverted', backupId: null });
    expect(await node(id, 'd2')).toMatchObject({ status: 'revert_failed', error: 'swapping: disk full' });
  });

  it('records a batch of progress as one by one: the last step and the highest percent per command', async () => {
    const id = await sentRollout(['e1', 'e2', 'e3']);
    await db.outcomes.applyFinished([finished(`${id}.e3.install`)]);

    await db.outcomes.applyProgress([
      progress(`${id}.e1.install`, 'downloading', 10),
      progress(`${id}.e2.install`, 'preflight', 5),
      progress(`${id}.e1.install`, 'verifying', 35),
      progress(`${id}.e3.install`, 'swapping', 75),
    ]);
    await db.outcomes.applyProgress([progress(`${id}.e1.install`, 'unpacking', 20)]);

    expect(await node(id, 'e1')).toMatchObject({ step: 'unpacking', percent: 35 });
    expect(await node(id, 'e2')).toMatchObject({ step: 'preflight', percent: 5 });
    expect(await node(id, 'e3')).toMatchObject({ status: 'succeeded', percent: 100 });
  });

  it('records the late outcome of a node that timed out, and lets the revert take it', async () => {
    const id = await sentRollout(['t1', 't2']);
    await db.ds.query(`UPDATE rollout_nodes SET started_at = now() - interval '2 seconds' WHERE rollout_id = $1`, [id]);
    await db.rollouts.markTimedOut(id, ['t1', 't2'], 1, 1000);

    const changed = await db.outcomes.applyFinished([finished(`${id}.t1.install`)]);
    await db.rollouts.markSent(id, [{ nodeId: 't2', commandId: `${id}.t2.revert` }], 'reverting', 1);

    expect(changed).toEqual([id]);
    expect(await node(id, 't1')).toMatchObject({ status: 'succeeded' });
    expect(await node(id, 't2')).toMatchObject({ status: 'reverting' });
  });

  it('judges the late outcome of a revert that timed out by what the node runs; one still on the release makes its rolled-back rollout need a conductor again', async () => {
    const id = await sentRollout(['r1', 'r2', 'r3']);
    await db.ds.query(`UPDATE rollout_nodes SET from_version = '1.0.0' WHERE rollout_id = $1`, [id]);
    await db.outcomes.applyFinished(['r1', 'r2', 'r3'].map((n) => finished(`${id}.${n}.install`)));
    await db.rollouts.markSent(
      id,
      ['r1', 'r2', 'r3'].map((nodeId) => ({ nodeId, commandId: `${id}.${nodeId}.revert` })),
      'reverting',
      1,
    );
    await db.ds.query(`UPDATE rollout_nodes SET started_at = now() - interval '2 seconds' WHERE rollout_id = $1`, [id]);
    await db.rollouts.markTimedOut(id, ['r1', 'r2', 'r3'], 1, 1000);
    for (const to of ['running', 'failed', 'rolled_back'] as const) await db.rollouts.transition(id, 1, to);
    const before = (await db.rollouts.active()).map((r) => r.id);

    // refused late (nobody holds the lock once the rollout ended): r1 still runs 1.1.0, r2 is on 1.0.0
    await db.outcomes.applyFinished([
      finished(`${id}.r1.revert`, { result: 'rejected', runningVersion: '1.1.0' }),
      finished(`${id}.r2.revert`, { result: 'rejected', runningVersion: '1.0.0' }),
      finished(`${id}.r3.revert`, { runningVersion: '1.0.0' }),
      finished(`${id}.r3.install`), // an install outcome later still: the revert's counts
    ]);

    expect((await db.rollouts.nodes(id)).map((n) => `${n.nodeId}:${n.status}`)).toEqual([
      'r1:succeeded',
      'r2:reverted',
      'r3:reverted',
    ]);
    expect(before).not.toContain(id);
    expect((await db.rollouts.active()).map((r) => r.id)).toContain(id);
    expect(await db.rollouts.lateReverts(id)).toEqual(['r1']);
  });

  it('leaves a late revert alone once a newer rollout has sent that node a command (reverting would undo it)', async () => {
    const id = await sentRollout(['s1']);
    await db.outcomes.applyFinished([finished(`${id}.s1.install`)]);
    for (const to of ['running', 'failed', 'rolled_back'] as const) await db.rollouts.transition(id, 1, to);
    const before = await db.rollouts.lateReverts(id); // s1 succeeded and was never reverted: a late outcome

    await sentRollout(['s1']);

    expect(before).toEqual(['s1']);
    expect(await db.rollouts.lateReverts(id)).toEqual([]);
    expect((await db.rollouts.active()).map((r) => r.id)).not.toContain(id);
  });

  it('queues the withdrawal of an install that timed out (not of a revert), once its stream sequence is known', async () => {
    const withdrawals = new CommandWithdrawalRepository(db.ds);
    const id = await sentRollout(['w1', 'w2', 'w3']);
    await withdrawals.recordSeqs(id, [
      { nodeId: 'w1', commandId: `${id}.w1.install`, seq: 11 },
      { nodeId: 'w2', commandId: `${id}.w2.install`, seq: 12 },
      { nodeId: 'w3', commandId: 'some-older-command', seq: 13 },
    ]);
    await db.outcomes.applyFinished([finished(`${id}.w2.install`)]);
    await db.rollouts.markSent(id, [{ nodeId: 'w2', commandId: `${id}.w2.revert` }], 'reverting', 1);
    await withdrawals.recordSeqs(id, [{ nodeId: 'w2', commandId: `${id}.w2.revert`, seq: 14 }]);
    await db.ds.query(`UPDATE rollout_nodes SET started_at = now() - interval '2 seconds' WHERE rollout_id = $1`, [id]);
    await db.rollouts.markTimedOut(id, ['w1', 'w2', 'w3'], 1, 1000);
    // w3's sequence arrives only after it timed out
    await withdrawals.recordSeqs(id, [{ nodeId: 'w3', commandId: `${id}.w3.install`, seq: 15 }]);

    const pending = await withdrawals.pending();
    await withdrawals.markWithdrawn(pending[0]);

    expect(pending.filter((w) => w.rolloutId === id)).toEqual([
      { rolloutId: id, nodeId: 'w1', seq: 11 },
      { rolloutId: id, nodeId: 'w3', seq: 15 },
    ]);
    expect((await withdrawals.pending()).filter((w) => w.rolloutId === id)).toEqual([
      { rolloutId: id, nodeId: 'w3', seq: 15 },
    ]);
  });
});
