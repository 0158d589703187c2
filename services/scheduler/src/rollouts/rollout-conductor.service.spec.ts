import { Logger } from '@nestjs/common';
import type { RolloutStrategy } from '@lockstep/persistence';
import { conductorHarness, SPEC_NODES, type FakeFleet } from '../testing/conductor-harness';
import type { FakeRolloutRepository } from '../testing/fake-rollout-repository';
import type { ManualClock } from '../testing/manual-clock';
import type { HeldLock } from './cluster-lock.port';
import { RolloutConductor } from './rollout-conductor.service';

describe(RolloutConductor.name, () => {
  let clock: ManualClock;
  let repo: FakeRolloutRepository;
  let fleet: FakeFleet;
  let sut: RolloutConductor;
  let start: number;
  let versions: { afterRollout: jest.Mock };
  let lock: HeldLock;
  let state: { held: boolean };
  let sent: () => string[];

  beforeAll(() => Logger.overrideLogger(false));

  const arrange = (strategy: Partial<RolloutStrategy> = {}, nodes = SPEC_NODES) => {
    versions = { afterRollout: jest.fn(async () => undefined) };
    ({ clock, start, repo, fleet, sut, lock, state, sent } = conductorHarness(strategy, nodes, versions));
  };

  /** When (ms after start) the first command to `nodeId` went out. */
  const sentAt = (nodeId: string) => fleet.sent.find((s) => s.cmd.nodeId === nodeId)!.at - start;
  /** Runs `action` on the repository `ms` after now (as an operator would, through the API). */
  const after = (ms: number, action: () => void) => void clock.sleep(ms).then(action);

  it('sends batches in order, canary first, each once the previous one has settled, then succeeds', async () => {
    arrange();

    await clock.run(sut.conduct(repo.id, lock));

    expect(sent()).toEqual(['0s install n1', '1s install n2', '1s install n3', '2s install n4']);
    expect(repo.moves).toEqual(['planned → running (conductor)', 'running → succeeded (conductor)']);
    expect(fleet.sent.every(({ cmd }) => cmd.fencingToken === 1 && cmd.version === '1.1.0')).toBe(true);
  });

  it.each([
    ['a rollout whose policy skips backups (backup: false) tells every install to skip it', { backup: false }, [false]],
    ["any other leaves it to each node's own setting", {}, [undefined]],
  ])('%s', async (_what, strategy, expected) => {
    arrange({ ...strategy, autoRollback: true });

    await clock.run(sut.conduct(repo.id, lock));

    expect([...new Set(fleet.sent.map(({ cmd }) => cmd.backup))]).toEqual(expected);
  });

  it('waits pauseBetweenBatchesMs after a batch, but not after the last one', async () => {
    arrange({ canary: 0, pauseBetweenBatchesMs: 30_000 }, [
      { id: 'n1', batch: 0 },
      { id: 'n2', batch: 1 },
    ]);

    await clock.run(sut.conduct(repo.id, lock));

    expect(sent()).toEqual(['0s install n1', '31s install n2']);
    expect(clock.now() - start).toBe(32_000);
    expect(repo.state).toBe('succeeded');
  });

  it('soaks the canary batch for canarySoakMs, and waits pauseBetweenBatchesMs after the other batches', async () => {
    arrange({ canarySoakMs: 600_000, pauseBetweenBatchesMs: 30_000 });

    await clock.run(sut.conduct(repo.id, lock));

    expect(sent()).toEqual(['0s install n1', '601s install n2', '601s install n3', '632s install n4']);
    expect(repo.state).toBe('succeeded');
  });

  it('soaks the canary as long as the pause between batches in a rollout stored without canarySoakMs', async () => {
    arrange({ pauseBetweenBatchesMs: 30_000 });

    await clock.run(sut.conduct(repo.id, lock));

    expect(sent()).toEqual(['0s install n1', '31s install n2', '31s install n3', '62s install n4']);
  });

  it('goes straight on after the canary batch with canarySoakMs 0, whatever the pause between batches', async () => {
    arrange({ canarySoakMs: 0, pauseBetweenBatchesMs: 30_000 });

    await clock.run(sut.conduct(repo.id, lock));

    expect(sent()).toEqual(['0s install n1', '1s install n2', '1s install n3', '32s install n4']);
  });

  it('soaks once, after the last canary batch, when the canaries take several batches', async () => {
    arrange({ canary: 2, maxParallel: 1, canarySoakMs: 600_000, pauseBetweenBatchesMs: 30_000 }, [
      { id: 'n1', batch: 0, canary: true },
      { id: 'n2', batch: 1, canary: true },
      { id: 'n3', batch: 2 },
    ]);

    await clock.run(sut.conduct(repo.id, lock));

    expect(sent()).toEqual(['0s install n1', '31s install n2', '632s install n3']);
  });

  it('finishes the batch in flight when paused, holds the next one until resumed', async () => {
    arrange();
    after(500, () => repo.operator('pause'));
    after(600_000, () => repo.operator('resume'));

    await clock.run(sut.conduct(repo.id, lock));

    expect(repo.status('n1')).toBe('succeeded');
    expect(sentAt('n2')).toBeGreaterThanOrEqual(600_000);
    expect(sentAt('n2')).toBeLessThanOrEqual(600_250);
    expect(repo.moves).toEqual([
      'planned → running (conductor)',
      'running → paused (operator)',
      'paused → running (operator)',
      'running → succeeded (conductor)',
    ]);
  });

  it('stops at an abort mid-batch: no further batch, the rollout stays aborted', async () => {
    arrange();
    after(1500, () => repo.operator('abort'));

    await clock.run(sut.conduct(repo.id, lock));

    expect(sent()).toEqual(['0s install n1', '1s install n2', '1s install n3']);
    expect(clock.now() - start).toBeLessThan(2000);
    expect(repo.state).toBe('aborted');
    expect(repo.moves).toEqual(['planned → running (conductor)', 'running → aborted (operator)']);
  });

  it('leaves an abort that lands just before its final move alone, and stops', async () => {
    arrange();
    repo.beforeTransition = (to) => {
      if (to === 'succeeded') repo.operator('abort');
    };

    await clock.run(sut.conduct(repo.id, lock));

    expect(repo.state).toBe('aborted');
    expect(repo.moves).toEqual(['planned → running (conductor)', 'running → aborted (operator)']);
  });

  it('leaves an abort that lands before it acts on a failed batch alone: no failed, no auto-rollback', async () => {
    arrange({ maxFailures: 0, autoRollback: true });
    fleet.agents.n2 = { result: 'failed' };
    repo.beforeTransition = (to) => {
      if (to === 'failed') repo.operator('abort');
    };

    await clock.run(sut.conduct(repo.id, lock));

    expect(repo.state).toBe('aborted');
    expect(fleet.sent.filter(({ cmd }) => cmd.action === 'rollback')).toEqual([]);
    expect(repo.moves).toEqual(['planned → running (conductor)', 'running → aborted (operator)']);
  });

  it('carries on past failures within a failure budget above zero', async () => {
    arrange({ maxFailures: 1 });
    fleet.agents.n2 = { result: 'failed' };

    await clock.run(sut.conduct(repo.id, lock));

    expect(sent()).toEqual(['0s install n1', '1s install n2', '1s install n3', '2s install n4']);
    expect(repo.status('n2')).toBe('failed');
    expect(repo.state).toBe('succeeded');
  });

  it('fails past the budget and, with auto-rollback, returns every updated node to its previous version', async () => {
    arrange({ maxFailures: 0, autoRollback: true });
    fleet.agents.n2 = { result: 'failed' };

    await clock.run(sut.conduct(repo.id, lock));

    expect(sent()).toEqual(['0s install n1', '1s install n2', '1s install n3', '2s rollback n1', '2s rollback n3']);
    expect(fleet.sent.filter(({ cmd }) => cmd.action === 'rollback').map(({ cmd }) => cmd.version)).toEqual([
      '1.0.0',
      '1.0.0',
    ]);
    expect([repo.status('n1'), repo.status('n2'), repo.status('n3'), repo.status('n4')]).toEqual([
      'reverted',
      'failed',
      'reverted',
      'pending',
    ]);
    expect(repo.moves).toEqual([
      'planned → running (conductor)',
      'running → failed (conductor)',
      'failed → rolled_back (conductor)',
    ]);
  });

  it('finishes the auto-rollback of a failed rollout whose conductor died while reverting', async () => {
    arrange({ maxFailures: 0, autoRollback: true });
    repo.seed('failed', { n1: 'reverted', n2: 'failed', n3: 'succeeded' }); // n3's revert was never sent

    await clock.run(sut.conduct(repo.id, lock));

    expect(sent()).toEqual(['0s rollback n3']);
    expect(repo.status('n3')).toBe('reverted');
    expect(repo.moves).toEqual(['failed → rolled_back (conductor)']);
  });

  it('marks a node without an outcome past progressDeadlineMs timed out (unknown, a failure), and fails the rollout', async () => {
    arrange({ progressDeadlineMs: 60_000 });
    fleet.agents.n1 = { silent: true };

    await clock.run(sut.conduct(repo.id, lock));

    expect(repo.node('n1')).toMatchObject({ status: 'timed_out', error: expect.stringMatching(/progress deadline/) });
    const markedAfter = repo.node('n1').finishedAt!.getTime() - start;
    expect(markedAfter).toBeGreaterThan(60_000);
    expect(markedAfter).toBeLessThanOrEqual(60_250);
    expect(sent()).toEqual(['0s install n1']);
    expect(repo.state).toBe('failed');
  });

  it("brings the component's current version up to date once the rollout ended (defect 11)", async () => {
    arrange();

    await clock.run(sut.conduct(repo.id, lock));

    expect(repo.state).toBe('succeeded');
    expect(versions.afterRollout).toHaveBeenCalledWith(
      expect.objectContaining({ id: repo.id, component: 'demo' }),
      expect.arrayContaining([expect.objectContaining({ status: 'succeeded' })]),
    );
  });

  it('gives every install the progress deadline as its deadline, so an agent never acts on it later', async () => {
    arrange({ progressDeadlineMs: 60_000 });

    await clock.run(sut.conduct(repo.id, lock));

    for (const { at, cmd } of fleet.sent) expect(Date.parse(cmd.deadline!)).toBe(at + 60_000);
    expect(fleet.sent.length).toBeGreaterThan(0);
  });

  it('includes a node that timed out (it may have installed after all) in the automatic revert', async () => {
    arrange({ maxFailures: 0, autoRollback: true, progressDeadlineMs: 60_000 });
    fleet.agents.n2 = { silent: true };

    await clock.run(sut.conduct(repo.id, lock));

    expect(sent().filter((c) => c.includes('rollback'))).toEqual([
      '61.5s rollback n1',
      '61.5s rollback n2',
      '62.5s rollback n3',
    ]);
    expect([repo.status('n1'), repo.status('n2'), repo.status('n3')]).toEqual(['reverted', 'reverted', 'reverted']);
    // returning a node late is still right: reverts carry no deadline
    expect(fleet.sent.filter(({ cmd }) => cmd.action === 'rollback').map(({ cmd }) => cmd.deadline)).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('stops issuing commands the moment the lock is lost', async () => {
    arrange();
    after(1000, () => (state.held = false));

    await clock.run(sut.conduct(repo.id, lock));

    expect(sent()).toEqual(['0s install n1']);
    expect(repo.state).toBe('running');
  });
});
