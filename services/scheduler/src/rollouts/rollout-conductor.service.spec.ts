import { Logger } from '@nestjs/common';
import type { InstallCommandV1, InstallResult } from '@lockstep/contracts';
import type { RolloutStrategy } from '@lockstep/persistence';
import type { NodeCommander } from '../fleet/node-commander';
import type { SchedulerConfig } from '../scheduler.config';
import { FakeRolloutRepository, specStrategy, type FakeNode } from '../testing/fake-rollout-repository';
import { ManualClock } from '../testing/manual-clock';
import type { HeldLock } from './cluster-lock.port';
import type { ReleaseInfoRepository } from './release-info.repository';
import type { ComponentVersions } from '../fleet/component-versions.service';
import { CommandWithdrawals } from './command-withdrawals.service';
import type { CommandWithdrawalRepository } from './command-withdrawal.repository';
import { RolloutConductor } from './rollout-conductor.service';
import type { RolloutRepository } from './rollout.repository';

/**
 * How a fake agent answers an install command: its result, after how long, or never; and its
 * first revert: after how long, and its result (later reverts succeed after 1 s).
 */
interface AgentBehaviour {
  result?: InstallResult;
  afterMs?: number;
  silent?: boolean;
  revertAfterMs?: number;
  firstRevertResult?: InstallResult;
}

/**
 * Node agents and the COMMANDS stream: record every command with the clock time it was sent,
 * keep it in the stream until withdrawn, and answer through the repository.
 */
class FakeFleet implements Pick<NodeCommander, 'send' | 'withdraw'> {
  readonly sent: Array<{ at: number; cmd: InstallCommandV1 }> = [];
  /** Install behaviour per node (default: succeeded after 1 s); reverts succeed after 1 s. */
  readonly agents: Record<string, AgentBehaviour> = {};
  /** Commands in the stream by sequence (a withdrawn one is gone). */
  readonly stream = new Map<number, InstallCommandV1>();
  /** The version each node runs (as its agent would report it; 1.0.0 until it installs another). */
  readonly running: Record<string, string> = {};
  /** NATS refuses withdrawals (an outage). */
  withdrawFails = false;
  onOutcome = (): void => undefined;

  constructor(
    private readonly clock: ManualClock,
    private readonly repo: FakeRolloutRepository,
  ) {}

  async send(cmd: InstallCommandV1): Promise<number> {
    this.sent.push({ at: this.clock.now(), cmd });
    const seq = this.sent.length;
    this.stream.set(seq, cmd);
    const agent = this.agents[cmd.nodeId] ?? {};
    const firstRevert =
      this.sent.filter((s) => s.cmd.nodeId === cmd.nodeId && s.cmd.action === 'rollback').length === 1;
    const b =
      cmd.action === 'install'
        ? agent
        : firstRevert
          ? { afterMs: agent.revertAfterMs, result: agent.firstRevertResult }
          : {};
    if (b.silent) return seq;
    void this.clock.sleep(b.afterMs ?? 1000).then(() => {
      const result = b.result ?? 'succeeded';
      if (result === 'succeeded') this.running[cmd.nodeId] = cmd.version;
      this.repo.finish(
        cmd.commandId,
        result,
        result === 'failed' ? 'health check failed' : undefined,
        this.running[cmd.nodeId] ?? '1.0.0',
      );
      this.onOutcome();
    });
    return seq;
  }

  async withdraw(seq: number): Promise<void> {
    if (this.withdrawFails) throw new Error('NATS is down');
    this.stream.delete(seq);
  }

  /** Command ids still in the stream. */
  inStream(): string[] {
    return [...this.stream.values()].map((c) => c.commandId);
  }
}

const NODES: FakeNode[] = [
  { id: 'n1', batch: 0, canary: true },
  { id: 'n2', batch: 1 },
  { id: 'n3', batch: 1 },
  { id: 'n4', batch: 2 },
];

describe(RolloutConductor.name, () => {
  let clock: ManualClock;
  let repo: FakeRolloutRepository;
  let fleet: FakeFleet;
  let held: boolean;
  let sut: RolloutConductor;
  let withdrawals: CommandWithdrawals;
  let start: number;
  let versions: { afterRollout: jest.Mock };

  const lock: HeldLock = { key: 'cluster', token: 1, isHeld: () => held, release: async () => undefined };

  beforeAll(() => Logger.overrideLogger(false));

  const arrange = (strategy: Partial<RolloutStrategy> = {}, nodes = NODES) => {
    versions = { afterRollout: jest.fn(async () => undefined) };
    clock = new ManualClock();
    start = clock.now();
    repo = new FakeRolloutRepository(clock, specStrategy(strategy), nodes);
    fleet = new FakeFleet(clock, repo);
    held = true;
    const releases = {
      get: async (component: string, version: string) => ({
        ok: true as const,
        result: {
          component,
          version,
          scheme: 'semver',
          artifact: { uri: `s3://b/${version}`, sha256: 'b', length: 1 },
        },
      }),
    };
    withdrawals = new CommandWithdrawals(
      repo as unknown as CommandWithdrawalRepository,
      fleet as unknown as NodeCommander,
    );
    sut = new RolloutConductor(
      repo as unknown as RolloutRepository,
      fleet as unknown as NodeCommander,
      releases as unknown as ReleaseInfoRepository,
      { SCHEDULER_REPLICA_ID: 'spec' } as SchedulerConfig,
      clock,
      versions as unknown as ComponentVersions,
      withdrawals,
    );
    fleet.onOutcome = () => sut.wake();
  };

  /** Commands as `<seconds after start>s <action> <node>`. */
  const sent = () => fleet.sent.map(({ at, cmd }) => `${(at - start) / 1000}s ${cmd.action} ${cmd.nodeId}`);
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

  it('withdraws the install of a node that timed out from the stream, so a node that comes back never gets it', async () => {
    arrange({ progressDeadlineMs: 60_000 });
    fleet.agents.n1 = { silent: true };

    await clock.run(sut.conduct(repo.id, lock));

    expect(repo.status('n1')).toBe('timed_out');
    expect(fleet.inStream()).not.toContain(`${repo.id}.n1.install`);
    expect(repo.node('n1').withdrawSeq).toBeNull();
  });

  it('keeps a withdrawal NATS refused queued, and withdraws it on the next run', async () => {
    arrange({ progressDeadlineMs: 60_000 });
    fleet.agents.n1 = { silent: true };
    fleet.withdrawFails = true;
    await clock.run(sut.conduct(repo.id, lock));
    expect(fleet.inStream()).toContain(`${repo.id}.n1.install`);
    fleet.withdrawFails = false;

    const left = await withdrawals.run();

    expect(left).toBe(0);
    expect(fleet.inStream()).not.toContain(`${repo.id}.n1.install`);
    expect(repo.node('n1').withdrawSeq).toBeNull();
  });

  it('withdraws no revert: a node returned late is still right', async () => {
    arrange({ maxFailures: 0, autoRollback: true, progressDeadlineMs: 60_000 });
    fleet.agents.n2 = { silent: true, revertAfterMs: 600_000 };

    await clock.run(sut.conduct(repo.id, lock));

    expect(repo.status('n2')).toBe('revert_timed_out');
    expect(fleet.inStream()).toContain(`${repo.id}.n2.revert`);
    expect(fleet.inStream()).not.toContain(`${repo.id}.n2.install`);
  });

  it('lets the revert outcome win over a late install outcome of a node it already reverts', async () => {
    arrange({ maxFailures: 0, autoRollback: true, progressDeadlineMs: 60_000 });
    fleet.agents.n2 = { afterMs: 90_000 }; // its install succeeds late, after the revert went out

    await clock.run(sut.conduct(repo.id, lock));
    await clock.advance(60_000);

    expect(repo.status('n2')).toBe('reverted');
    expect(repo.state).toBe('rolled_back');
  });

  it('records the late outcome of a revert that ran past the progress deadline: the node is back after all', async () => {
    arrange({ maxFailures: 0, autoRollback: true, progressDeadlineMs: 60_000 });
    fleet.agents.n2 = { silent: true, revertAfterMs: 100_000 }; // down past both deadlines, then back

    await clock.run(sut.conduct(repo.id, lock));
    const afterRollout = repo.status('n2');
    await clock.advance(60_000);

    expect(afterRollout).toBe('revert_timed_out');
    expect(repo.status('n2')).toBe('reverted');
    expect(repo.state).toBe('rolled_back');
  });

  it('takes a refused late revert from a node back on its previous version as reverted: nothing to send', async () => {
    arrange({ maxFailures: 0, autoRollback: true, progressDeadlineMs: 60_000 });
    // its install never reached it (withdrawn); its revert comes after the rollout ended: refused
    fleet.agents.n2 = { silent: true, revertAfterMs: 100_000, firstRevertResult: 'rejected' };

    await clock.run(sut.conduct(repo.id, lock));
    await clock.advance(60_000);

    expect(repo.status('n2')).toBe('reverted');
  });

  it('reverts again a node whose late outcome shows it still on the abandoned release, with a new command', async () => {
    arrange({ maxFailures: 0, autoRollback: true, progressDeadlineMs: 60_000 });
    // its install lands late (ignored: the revert went out), its first revert is refused late
    fleet.agents.n2 = { afterMs: 90_000, revertAfterMs: 100_000, firstRevertResult: 'rejected' };
    await clock.run(sut.conduct(repo.id, lock));
    await clock.advance(60_000);
    const late = repo.status('n2');

    await clock.run(sut.conduct(repo.id, lock)); // the reconciler hands it a conductor again

    expect(late).toBe('succeeded');
    expect(
      fleet.sent.filter(({ cmd }) => cmd.nodeId === 'n2' && cmd.action === 'rollback').map(({ cmd }) => cmd.commandId),
    ).toEqual([`${repo.id}.n2.revert`, `${repo.id}.n2.2.revert`]);
    expect(repo.status('n2')).toBe('reverted');
    expect(fleet.running.n2).toBe('1.0.0');
    expect(repo.state).toBe('rolled_back');
    // the control plane's own decision, recorded with the send
    expect(repo.audits).toEqual(['rollout.late-revert n2']);
  });

  it('stops issuing commands the moment the lock is lost', async () => {
    arrange();
    after(1000, () => (held = false));

    await clock.run(sut.conduct(repo.id, lock));

    expect(sent()).toEqual(['0s install n1']);
    expect(repo.state).toBe('running');
  });
});
