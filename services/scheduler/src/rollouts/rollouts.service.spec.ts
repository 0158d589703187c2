import { RolloutCreateV1, type AuditActor, type RolloutPlanV1 } from '@lockstep/contracts';
import type { NodeEntry } from '@lockstep/messaging';
import type { RolloutStrategy } from '@lockstep/persistence';
import type { ComponentVersions } from '../fleet/component-versions.service';
import type { FleetView } from '../fleet/fleet-view.service';
import type { AuditRepository } from '../audit/audit.repository';
import { LockHolderChangedError, type ClusterLockAdmin, type LockHolder } from './cluster-lock.port';
import type { RolloutReconciler } from './rollout-reconciler.service';
import type { RolloutRepository } from './rollout.repository';
import { RolloutsService } from './rollouts.service';
import { demoNode, verifiedReleases } from '../testing/scheduler-fixtures';

const ROLLOUT_ID = '00000000-0000-4000-8000-000000000001';

const asker: AuditActor = {
  kind: 'token',
  id: 'tok_op',
  name: 'ops',
  role: 'operator',
  components: null,
  source: '10.0.0.1',
};

describe(RolloutsService.name, () => {
  let repo: {
    operatorAction: jest.Mock;
    get: jest.Mock;
    nodes: jest.Mock;
    active: jest.Mock;
    create: jest.Mock;
  };
  let lock: { holder: jest.Mock; releaseHolder: jest.Mock };
  let audit: { record: jest.Mock; recordAround: jest.Mock; committed: unknown[] };
  let versions: { afterRollout: jest.Mock };
  let sut: RolloutsService;
  let fleet: NodeEntry[];

  beforeEach(() => {
    fleet = [demoNode('n1'), demoNode('n2')];
    repo = {
      operatorAction: jest.fn(),
      get: jest.fn(async (id: string) => ({ id, component: 'demo', targetVersion: '1.1.0', state: 'aborted' })),
      nodes: jest.fn(async () => [{ nodeId: 'n1', status: 'succeeded', fromVersion: '1.0.0' }]),
      active: jest.fn(async () => []),
      create: jest.fn(async (_plan: RolloutPlanV1, _audit: unknown, _input: { strategy: RolloutStrategy }) => ({
        id: ROLLOUT_ID,
      })),
    };
    versions = { afterRollout: jest.fn(async () => '1.1.0') };
    lock = { holder: jest.fn(), releaseHolder: jest.fn() };
    const committed: unknown[] = [];
    audit = {
      committed,
      record: jest.fn(async (r: unknown) => void committed.push(r)),
      // Like the real one: the record commits only when the action resolves.
      recordAround: jest.fn(async (r: unknown, act: () => Promise<unknown>) => {
        const out = await act();
        committed.push(r);
        return out;
      }),
    };
    sut = new RolloutsService(
      repo as unknown as RolloutRepository,
      { list: async () => fleet } as unknown as FleetView,
      { wake: () => undefined } as unknown as RolloutReconciler,
      verifiedReleases(),
      lock as unknown as ClusterLockAdmin,
      audit as unknown as AuditRepository,
      versions as unknown as ComponentVersions,
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

    const result = await sut.act({ rolloutId: ROLLOUT_ID, action: 'pause', actor: asker });

    expect(result).toEqual(reply);
    expect(repo.operatorAction).toHaveBeenCalledWith(ROLLOUT_ID, 'pause', asker);
    expect(versions.afterRollout).not.toHaveBeenCalled();
  });

  it('rolls back the nodes a rollout updated that still heart-beat, and lists a lost one as skipped (no --nodes to leave it out)', async () => {
    const on = (id: string, lost: boolean): NodeEntry => {
      const n = demoNode(id);
      return { record: { ...n.record, components: { demo: '1.1.0' } }, lost };
    };
    fleet = [on('n1', false), on('n2', true)];
    repo.get.mockResolvedValue({
      id: ROLLOUT_ID,
      component: 'demo',
      targetVersion: '1.1.0',
      state: 'succeeded',
      strategy: { minHealthyMs: 0, healthyDeadlineMs: 60_000, progressDeadlineMs: 600_000 },
    });
    repo.nodes.mockResolvedValue(
      ['n1', 'n2'].map((nodeId) => ({ nodeId, status: 'succeeded', fromVersion: '1.0.0', backupId: null })),
    );

    const reply = await sut.rollback({ rolloutId: ROLLOUT_ID, maxParallel: 1, restoreData: false, actor: asker });

    expect(reply).toMatchObject({
      ok: true,
      result: {
        plan: {
          kind: 'rollback',
          batches: [{ nodes: [{ id: 'n1', fromVersion: '1.1.0' }] }],
          skipped: [{ nodeId: 'n2', reason: expect.stringMatching(/^lost since/) }],
        },
      },
    });
  });

  it("brings the component's version up to date once an abort ends the rollout: nodes it updated before run the new version", async () => {
    repo.operatorAction.mockResolvedValue({ ok: true, state: 'aborted' });

    const result = await sut.act({ rolloutId: ROLLOUT_ID, action: 'abort', actor: asker });

    expect(result).toEqual({ ok: true, result: { state: 'aborted' } });
    expect(versions.afterRollout).toHaveBeenCalledWith(
      expect.objectContaining({ id: ROLLOUT_ID, component: 'demo', targetVersion: '1.1.0' }),
      [{ nodeId: 'n1', status: 'succeeded', fromVersion: '1.0.0' }],
    );
  });

  it('still answers the abort when the version cannot be brought up to date (the periodic look does it later)', async () => {
    repo.operatorAction.mockResolvedValue({ ok: true, state: 'aborted' });
    versions.afterRollout.mockRejectedValue(new Error('db down'));

    const result = await sut.act({ rolloutId: ROLLOUT_ID, action: 'abort', actor: asker });

    expect(result).toEqual({ ok: true, result: { state: 'aborted' } });
  });

  describe('lock release', () => {
    const alice: AuditActor = {
      kind: 'token',
      id: 'tok_1',
      name: 'alice',
      role: 'owner',
      components: null,
      source: '10.0.0.9',
    };
    const live: LockHolder = { holder: 'sched-2', rolloutId: ROLLOUT_ID, token: 42 };
    const release = (token: number) =>
      sut.releaseLock({ key: 'cluster', token, reason: 'wedged', confirm: true, actor: alice });

    it('removes the holder named by its token and records the release by the token that asked', async () => {
      lock.holder.mockResolvedValue(live);
      lock.releaseHolder.mockResolvedValue(live);

      const result = await release(42);

      expect(result).toEqual({ ok: true, result: { released: true, removed: live } });
      expect(lock.releaseHolder).toHaveBeenCalledWith('cluster', 42);
      expect(audit.committed).toEqual([
        {
          actor: alice,
          action: 'lock.release',
          target: 'cluster',
          params: { token: 42, reason: 'wedged', removed: live },
        },
      ]);
    });

    it.each([
      ['another holder', live, /held by sched-2 under token 42, not 41/],
      ['nobody', null, /not held/],
    ])(
      'refuses a stale token while %s holds the lock, removes nothing and records the refusal',
      async (_, now, msg) => {
        lock.holder.mockResolvedValue(now);

        const result = await release(41);

        expect(result).toEqual({
          ok: false,
          error: { code: 'LOCK_HOLDER_CHANGED', message: expect.stringMatching(msg) },
        });
        expect(lock.releaseHolder).not.toHaveBeenCalled();
        expect(audit.committed).toEqual([
          expect.objectContaining({ actor: alice, action: 'lock.release', outcome: 'refused', target: 'cluster' }),
        ]);
      },
    );

    it('records only the refusal when the holder changes between the look and the delete', async () => {
      lock.holder.mockResolvedValue(live);
      lock.releaseHolder.mockRejectedValue(new LockHolderChangedError('lock cluster is held by sched-3', null));

      const result = await release(42);

      expect(result).toMatchObject({ ok: false, error: { code: 'LOCK_HOLDER_CHANGED' } });
      expect(audit.committed).toEqual([expect.objectContaining({ outcome: 'refused' })]);
    });
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

    const result = await sut.create({ ...req, actor: asker });

    expect(result).toMatchObject({ ok: true, result: { rolloutId: ROLLOUT_ID } });
    expect(repo.create.mock.calls[0][1]).toMatchObject({
      actor: asker,
      action: 'rollout.create',
      params: { component: 'demo', version: '1.1.0', kind: 'upgrade' },
    });
    const input = repo.create.mock.calls[0][2] as { strategy: RolloutStrategy };
    expect(input.strategy).toMatchObject({ canary: 1, pauseBetweenBatchesMs: 30_000, canarySoakMs: stored });
  });
});
