import { RolloutCreateV1, type RolloutPlanV1 } from '@lockstep/contracts';
import type { NodeEntry } from '@lockstep/messaging';
import type { RolloutStrategy } from '@lockstep/persistence';
import type { FleetView } from '../fleet/fleet-view.service';
import type { ClusterLockAdmin } from './cluster-lock.port';
import type { ReleaseInfoRepository } from './release-info.repository';
import type { RolloutReconciler } from './rollout-reconciler.service';
import type { RolloutRepository } from './rollout.repository';
import { RolloutsService } from './rollouts.service';

const ROLLOUT_ID = '00000000-0000-4000-8000-000000000001';

const node = (id: string): NodeEntry => ({
  record: {
    id,
    hostname: id,
    labels: {},
    components: { demo: '1.0.0' },
    manages: ['demo'],
    agentVersion: '1',
    seenAt: '2026-01-01T00:00:00Z',
    state: 'idle',
  },
  lost: false,
});

describe(RolloutsService.name, () => {
  let repo: {
    operatorAction: jest.Mock;
    audit: jest.Mock;
    active: jest.Mock;
    create: jest.Mock;
  };
  let lock: { forceRelease: jest.Mock };
  let sut: RolloutsService;

  beforeEach(() => {
    repo = {
      operatorAction: jest.fn(),
      audit: jest.fn(async () => undefined),
      active: jest.fn(async () => []),
      create: jest.fn(async (_plan: RolloutPlanV1, _input: { strategy: RolloutStrategy }) => ({ id: ROLLOUT_ID })),
    };
    lock = { forceRelease: jest.fn() };
    const releases = {
      get: async (component: string, version: string) => ({
        ok: true as const,
        result: { component, version, scheme: 'semver', artifact: { uri: 's3://b/demo', sha256: 'a', length: 1 } },
      }),
    };
    sut = new RolloutsService(
      repo as unknown as RolloutRepository,
      { list: async () => [node('n1'), node('n2')] } as unknown as FleetView,
      { wake: () => undefined } as unknown as RolloutReconciler,
      releases as unknown as ReleaseInfoRepository,
      lock as unknown as ClusterLockAdmin,
    );
  });

  it.each([
    [
      { ok: true, state: 'paused' },
      { ok: true, result: { state: 'paused' } },
    ],
    [
      { ok: false, message: 'cannot resume a rollout that is running' },
      { ok: false, error: { code: 'INVALID_STATE', message: 'cannot resume a rollout that is running' } },
    ],
  ])('answers an operator action the repository returns %j with %j', async (outcome, reply) => {
    repo.operatorAction.mockResolvedValue(outcome);

    const result = await sut.act({ rolloutId: ROLLOUT_ID, action: 'pause' });

    expect(result).toEqual(reply);
    expect(repo.operatorAction).toHaveBeenCalledWith(ROLLOUT_ID, 'pause');
  });

  it.each([
    [{ holder: 'r1' }, true],
    [null, false],
  ])('force-releases a lock (removed %j) and audits who did it and why', async (removed, released) => {
    lock.forceRelease.mockResolvedValue(removed);

    const result = await sut.releaseLock({ key: 'cluster', by: 'ops', reason: 'stuck', confirm: true });

    expect(result).toEqual({ ok: true, result: { released, removed } });
    expect(lock.forceRelease).toHaveBeenCalledWith('cluster', 'ops', 'stuck');
    expect(repo.audit).toHaveBeenCalledWith(
      expect.objectContaining({
        action: 'lock.release',
        target: 'cluster',
        params: { by: 'ops', reason: 'stuck', removed },
      }),
    );
  });

  it.each([
    ['given', { canarySoakMs: 600_000 }, 600_000],
    ['not given: the pause between batches', {}, 30_000],
  ])('stores the canary soak %s', async (_name, over, stored) => {
    const req = RolloutCreateV1.parse({
      component: 'demo',
      version: '1.1.0',
      canary: 1,
      pauseBetweenBatchesMs: 30_000,
      ...over,
    });

    const result = await sut.create(req);

    expect(result).toMatchObject({ ok: true, result: { rolloutId: ROLLOUT_ID } });
    const input = repo.create.mock.calls[0][1] as { strategy: RolloutStrategy };
    expect(input.strategy).toMatchObject({ canary: 1, pauseBetweenBatchesMs: 30_000, canarySoakMs: stored });
  });
});
