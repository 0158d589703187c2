import type { AuditActor, RolloutPlanV1 } from '@lockstep/contracts';
import { RolloutNodeEntity, type RolloutStrategy } from '@lockstep/persistence';
import { SystemClock } from '../clock/clock.port';
import type { NodeCommander } from '../fleet/node-commander';
import type { SchedulerConfig } from '../scheduler.config';
import { migratedDatabase } from '../testing/scheduler-fixtures';
import type { ReleaseInfoRepository } from './release-info.repository';
import type { ComponentVersions } from '../fleet/component-versions.service';
import { CommandWithdrawalRepository } from './command-withdrawal.repository';
import { CommandWithdrawals } from './command-withdrawals.service';
import { RolloutConductor } from './rollout-conductor.service';
import { RolloutRepository } from './rollout.repository';

const DEADLINE_MS = 1000;
const HOUR = 3_600_000;

const strategy: RolloutStrategy = {
  maxParallel: 1,
  canary: 0,
  minHealthyMs: 0,
  healthyDeadlineMs: 1000,
  progressDeadlineMs: DEADLINE_MS,
  maxFailures: 0,
  autoRollback: false,
  pauseBetweenBatchesMs: 0,
};
const actor: AuditActor = { kind: 'system', id: 'spec', name: 'spec', role: 'owner', components: null, source: null };
const plan: RolloutPlanV1 = {
  component: 'demo',
  version: '1.1.0',
  kind: 'upgrade',
  lockKey: 'cluster',
  batches: [{ index: 0, canary: false, nodes: [{ id: 'silent', fromVersion: '1.0.0' }] }],
  alreadyAtVersion: [],
  maxFailures: 0,
  skipped: [],
};
const artifact = { uri: 's3://bucket/demo-1.1.0.tar.gz', sha256: 'a'.repeat(64), length: 1 };

/** The scheduler's clock, `skewMs` away from the database's (both otherwise real). */
class SkewedClock extends SystemClock {
  constructor(private readonly skewMs: number) {
    super();
  }

  override now(): number {
    return super.now() + this.skewMs;
  }
}

describe('progress deadline on one clock (Postgres)', () => {
  let db: Awaited<ReturnType<typeof migratedDatabase>>;
  beforeAll(async () => {
    db = await migratedDatabase();
  });
  afterAll(() => db.drop());
  const repo = () => new RolloutRepository(db.ds);

  it.each([
    ['an hour ahead of', HOUR],
    ['an hour behind', -HOUR],
  ])(
    'times a silent node out after the deadline on the database clock when the scheduler clock is %s it',
    async (_, skewMs) => {
      const rollout = await repo().create(
        plan,
        { actor, action: 'rollout.create' },
        { artifact, selector: 'all', strategy, kind: 'upgrade' },
      );
      const sent: string[] = [];
      const withdrawn: number[] = [];
      const commander = {
        send: async (cmd: { nodeId: string }) => sent.push(cmd.nodeId) + 6, // stream seq 7
        withdraw: async (seq: number) => void withdrawn.push(seq),
      };
      const sut = new RolloutConductor(
        repo(),
        commander as unknown as NodeCommander,
        {} as ReleaseInfoRepository,
        { SCHEDULER_REPLICA_ID: 'skewed' } as SchedulerConfig,
        new SkewedClock(skewMs),
        { afterRollout: async () => undefined } as unknown as ComponentVersions,
        new CommandWithdrawals(new CommandWithdrawalRepository(db.ds), commander as unknown as NodeCommander),
      );

      await sut.conduct(rollout.id, { key: 'cluster', token: 1, isHeld: () => true, release: async () => undefined });

      const node = await db.ds.getRepository(RolloutNodeEntity).findOneByOrFail({ rolloutId: rollout.id });
      const ranMs = node.finishedAt!.getTime() - node.startedAt!.getTime();
      expect(sent).toEqual(['silent']);
      expect(node).toMatchObject({ status: 'timed_out', error: expect.stringMatching(/progress deadline/) });
      expect(ranMs).toBeGreaterThanOrEqual(DEADLINE_MS);
      expect(ranMs).toBeLessThan(DEADLINE_MS + 10_000);
      // its install is withdrawn from the stream, and nothing is left to withdraw
      expect(withdrawn).toEqual([7]);
      expect(node).toMatchObject({ commandSeq: '7', withdrawSeq: null });
    },
  );
});
