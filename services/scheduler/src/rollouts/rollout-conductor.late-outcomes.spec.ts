import { Logger } from '@nestjs/common';
import type { RolloutStrategy } from '@lockstep/persistence';
import { conductorHarness } from '../testing/conductor-harness';
import { RolloutConductor } from './rollout-conductor.service';

/**
 * What the conductor does about nodes it gave up on (issue 12, defect 1): their timed-out installs
 * are withdrawn from the stream, and their late outcomes leave them where they really are — a node
 * a late outcome shows still on the abandoned release is reverted again.
 */
describe(`${RolloutConductor.name}: nodes past the progress deadline`, () => {
  let h: ReturnType<typeof conductorHarness>;

  beforeAll(() => Logger.overrideLogger(false));

  const arrange = (strategy: Partial<RolloutStrategy> = {}) =>
    (h = conductorHarness({ maxFailures: 0, progressDeadlineMs: 60_000, ...strategy }));
  const conduct = () => h.clock.run(h.sut.conduct(h.repo.id, h.lock));

  it('withdraws the install of a node that timed out from the stream, so a node that comes back never gets it', async () => {
    arrange();
    h.fleet.agents.n1 = { silent: true };

    await conduct();

    expect(h.repo.status('n1')).toBe('timed_out');
    expect(h.fleet.inStream()).not.toContain(`${h.repo.id}.n1.install`);
    expect(h.repo.node('n1').withdrawSeq).toBeNull();
  });

  it('keeps a withdrawal NATS refused queued, and withdraws it on the next run', async () => {
    arrange();
    h.fleet.agents.n1 = { silent: true };
    h.fleet.withdrawFails = true;
    await conduct();
    expect(h.fleet.inStream()).toContain(`${h.repo.id}.n1.install`);
    h.fleet.withdrawFails = false;

    const left = await h.withdrawals.run();

    expect(left).toBe(0);
    expect(h.fleet.inStream()).not.toContain(`${h.repo.id}.n1.install`);
    expect(h.repo.node('n1').withdrawSeq).toBeNull();
  });

  it('withdraws no revert: a node returned late is still right', async () => {
    arrange({ autoRollback: true });
    h.fleet.agents.n2 = { silent: true, revertAfterMs: 600_000 };

    await conduct();

    expect(h.repo.status('n2')).toBe('revert_timed_out');
    expect(h.fleet.inStream()).toContain(`${h.repo.id}.n2.revert`);
    expect(h.fleet.inStream()).not.toContain(`${h.repo.id}.n2.install`);
  });

  it('lets the revert outcome win over a late install outcome of a node it already reverts', async () => {
    arrange({ autoRollback: true });
    h.fleet.agents.n2 = { afterMs: 90_000 }; // its install succeeds late, after the revert went out

    await conduct();
    await h.clock.advance(60_000);

    expect(h.repo.status('n2')).toBe('reverted');
    expect(h.repo.state).toBe('rolled_back');
  });

  it('records the late outcome of a revert that ran past the progress deadline: the node is back after all', async () => {
    arrange({ autoRollback: true });
    h.fleet.agents.n2 = { silent: true, revertAfterMs: 100_000 }; // down past both deadlines, then back

    await conduct();
    const afterRollout = h.repo.status('n2');
    await h.clock.advance(60_000);

    expect(afterRollout).toBe('revert_timed_out');
    expect(h.repo.status('n2')).toBe('reverted');
    expect(h.repo.state).toBe('rolled_back');
  });

  it('takes a refused late revert from a node back on its previous version as reverted: nothing to send', async () => {
    arrange({ autoRollback: true });
    // its install never reached it (withdrawn); its revert comes after the rollout ended: refused
    h.fleet.agents.n2 = { silent: true, revertAfterMs: 100_000, firstRevertResult: 'rejected' };

    await conduct();
    await h.clock.advance(60_000);

    expect(h.repo.status('n2')).toBe('reverted');
  });

  it('reverts again a node whose late outcome shows it still on the abandoned release, with a new command', async () => {
    arrange({ autoRollback: true });
    // its install lands late (ignored: the revert went out), its first revert is refused late
    h.fleet.agents.n2 = { afterMs: 90_000, revertAfterMs: 100_000, firstRevertResult: 'rejected' };
    await conduct();
    await h.clock.advance(60_000);
    const late = h.repo.status('n2');

    await conduct(); // the reconciler hands it a conductor again

    expect(late).toBe('succeeded');
    expect(
      h.fleet.sent
        .filter(({ cmd }) => cmd.nodeId === 'n2' && cmd.action === 'rollback')
        .map(({ cmd }) => cmd.commandId),
    ).toEqual([`${h.repo.id}.n2.revert`, `${h.repo.id}.n2.2.revert`]);
    expect(h.repo.status('n2')).toBe('reverted');
    expect(h.fleet.running.n2).toBe('1.0.0');
    expect(h.repo.state).toBe('rolled_back');
    // the control plane's own decision, recorded with the send
    expect(h.repo.audits).toEqual(['rollout.late-revert n2']);
  });
});
