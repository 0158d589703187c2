import { systemActor } from '@lockstep/contracts';
import { NodeRecordChangedError } from '@lockstep/messaging';
import type { RolloutEntity } from '@lockstep/persistence';
import { demoNode } from '../testing/scheduler-fixtures';
import { ManualClock } from '../testing/manual-clock';
import type { FleetView } from './fleet-view.service';
import type { NodeCommander } from './node-commander';
import { NodeRemovalService } from './node-removal.service';
import type { NodesRepository } from './nodes.repository';

const actor = systemActor('spec');

describe(NodeRemovalService.name, () => {
  const setup = (over: { lost?: boolean; missing?: boolean; rollout?: Partial<RolloutEntity>; changed?: boolean }) => {
    const removed: string[] = [];
    const audited: unknown[] = [];
    const fleet = {
      find: async (id: string) =>
        over.missing ? undefined : { ...demoNode(id), lost: over.lost ?? true, revision: 7 },
      remove: async (id: string, revision: number) => {
        if (over.changed) throw new NodeRecordChangedError(`node ${id} wrote its record again`);
        removed.push(`${id}@${revision}`);
      },
    } as unknown as FleetView;
    const repo = {
      activeRolloutWith: async () =>
        over.rollout
          ? { id: 'r-1', component: 'demo', targetVersion: '1.1.0', state: 'running', ...over.rollout }
          : null,
      startRemoval: async () => undefined,
      unfinishedRemoval: async () => null,
      abandonRemoval: async () => undefined,
      recordRemoval: async (audit: unknown, act: () => Promise<unknown>) => {
        const result = await act();
        audited.push(audit);
        return result;
      },
    } as unknown as NodesRepository;
    const commander = { removeConsumer: async () => true } as unknown as NodeCommander;
    return { sut: new NodeRemovalService(fleet, commander, repo, new ManualClock()), removed, audited };
  };

  it('removes a lost node: its record at the revision it was read, its consumer, one audit record', async () => {
    const { sut, removed, audited } = setup({ lost: true });

    const reply = await sut.remove({ nodeId: 'n1', force: false, actor });

    expect(reply).toEqual({
      ok: true,
      result: { nodeId: 'n1', lastSeenAt: '2026-01-01T00:00:00Z', wasLost: true, consumerDeleted: true },
    });
    expect(removed).toEqual(['n1@7']);
    expect(audited).toEqual([expect.objectContaining({ action: 'node.removed', target: 'n1', actor })]);
  });

  it('removes a live node with force', async () => {
    const { sut, removed } = setup({ lost: false });

    const reply = await sut.remove({ nodeId: 'n1', force: true, actor });

    expect(reply).toMatchObject({ ok: true, result: { wasLost: false } });
    expect(removed).toEqual(['n1@7']);
  });

  it.each([
    ['an unknown node', { missing: true }, 'NOT_FOUND', /node n1 is not in the fleet/],
    ['a node that heart-beats', { lost: false }, 'NODE_ALIVE', /still heart-beats .* --force/],
    ['a node that heart-beat while it was removed', { changed: true }, 'NODE_ALIVE', /wrote its record again/],
    [
      'a node of a running rollout',
      { rollout: { state: 'paused' as const } },
      'NODE_IN_ROLLOUT',
      /rollout r-1 \(demo → 1\.1\.0\), which is paused; .*lockstep rollouts abort r-1/,
    ],
    [
      "a node a failed rollout's auto-rollback still returns",
      { rollout: { state: 'failed' as const } },
      'NODE_IN_ROLLOUT',
      /rollout r-1 \(demo → 1\.1\.0\), which failed, and its auto-rollback still returns its nodes; wait until it is rolled_back \(lockstep rollouts show r-1 --wait\)/,
    ],
  ])('refuses %s and removes nothing', async (_what, over, code, message) => {
    const { sut, removed, audited } = setup(over);

    const reply = await sut.remove({ nodeId: 'n1', force: false, actor });

    expect(reply).toEqual({ ok: false, error: { code, message: expect.stringMatching(message) } });
    expect({ removed, audited }).toEqual({ removed: [], audited: [] });
  });
});
