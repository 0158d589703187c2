import type { InstallCommandV1, InstallResult } from '@lockstep/contracts';
import type { RolloutStrategy } from '@lockstep/persistence';
import type { ComponentVersions } from '../fleet/component-versions.service';
import type { NodeCommander } from '../fleet/node-commander';
import type { HeldLock } from '../rollouts/cluster-lock.port';
import type { CommandWithdrawalRepository } from '../rollouts/command-withdrawal.repository';
import { CommandWithdrawals } from '../rollouts/command-withdrawals.service';
import type { ReleaseInfoRepository } from '../rollouts/release-info.repository';
import { RolloutConductor } from '../rollouts/rollout-conductor.service';
import type { RolloutRepository } from '../rollouts/rollout.repository';
import type { SchedulerConfig } from '../scheduler.config';
import { FakeRolloutRepository, specStrategy, type FakeNode } from './fake-rollout-repository';
import { ManualClock } from './manual-clock';

/**
 * How a fake agent answers an install command: its result, after how long, or never; and its
 * first revert: after how long, and its result (later reverts succeed after 1 s).
 */
export interface AgentBehaviour {
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
export class FakeFleet implements Pick<NodeCommander, 'send' | 'withdraw'> {
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

/** The plan of a conductor spec unless it says otherwise: a canary, then two batches. */
export const SPEC_NODES: FakeNode[] = [
  { id: 'n1', batch: 0, canary: true },
  { id: 'n2', batch: 1 },
  { id: 'n3', batch: 1 },
  { id: 'n4', batch: 2 },
];

/** A conductor over one rollout in memory: its fake repository, fleet and clock, and the lock it holds while `held`. */
export function conductorHarness(
  strategy: Partial<RolloutStrategy> = {},
  nodes = SPEC_NODES,
  versions: Pick<ComponentVersions, 'afterRollout'> = { afterRollout: async () => undefined },
) {
  const clock = new ManualClock();
  const start = clock.now();
  const repo = new FakeRolloutRepository(clock, specStrategy(strategy), nodes);
  const fleet = new FakeFleet(clock, repo);
  const state = { held: true };
  const lock: HeldLock = { key: 'cluster', token: 1, isHeld: () => state.held, release: async () => undefined };
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
  const withdrawals = new CommandWithdrawals(
    repo as unknown as CommandWithdrawalRepository,
    fleet as unknown as NodeCommander,
  );
  const sut = new RolloutConductor(
    repo as unknown as RolloutRepository,
    fleet as unknown as NodeCommander,
    releases as unknown as ReleaseInfoRepository,
    { SCHEDULER_REPLICA_ID: 'spec' } as SchedulerConfig,
    clock,
    versions as unknown as ComponentVersions,
    withdrawals,
  );
  fleet.onOutcome = () => sut.wake();
  /** Commands as `<seconds after start>s <action> <node>`. */
  const sent = () => fleet.sent.map(({ at, cmd }) => `${(at - start) / 1000}s ${cmd.action} ${cmd.nodeId}`);
  return { clock, start, repo, fleet, withdrawals, sut, lock, state, sent };
}
