import { systemActor } from '@lockstep/contracts';
import { AuditLogEntity } from '@lockstep/persistence';
import { demoNode, migratedDatabase } from '../testing/scheduler-fixtures';
import { ManualClock } from '../testing/manual-clock';
import type { FleetView } from './fleet-view.service';
import type { NodeCommander } from './node-commander';
import { NodeRemovalService } from './node-removal.service';
import { NodesRepository } from './nodes.repository';

const actor = systemActor('spec');

/**
 * `lockstep nodes rm` killed half-way (kill -9 of the scheduler): the retry finishes the removal.
 * The node bucket and the command consumer are in-memory fakes; the crash is the removal's
 * transaction ending without a commit right after the step named.
 */
describe(`${NodeRemovalService.name} on Postgres, crashing half-way`, () => {
  let db: Awaited<ReturnType<typeof migratedDatabase>>;
  beforeAll(async () => {
    db = await migratedDatabase();
  });
  afterAll(() => db.drop());

  const setup = (id: string, crashAfter: 'record' | 'consumer' | undefined) => {
    const bucket = new Map([[id, { ...demoNode(id), lost: true, revision: 3 }]]);
    const consumers = new Set([id]);
    let crash = crashAfter;
    const crashed = (step: 'record' | 'consumer') => {
      if (crash !== step) return;
      crash = undefined;
      throw new Error('killed (kill -9)');
    };
    const fleet = {
      find: async (nodeId: string) => bucket.get(nodeId),
      remove: async (nodeId: string) => {
        bucket.delete(nodeId);
        crashed('record');
      },
    } as unknown as FleetView;
    const commander = {
      removeConsumer: async (nodeId: string) => {
        const had = consumers.delete(nodeId);
        crashed('consumer');
        return had;
      },
    } as unknown as NodeCommander;
    const sut = new NodeRemovalService(fleet, commander, new NodesRepository(db.ds), new ManualClock());
    return { sut, bucket, consumers };
  };
  const removals = async (id: string) =>
    (await db.ds.getRepository(AuditLogEntity).find({ where: { action: 'node.removed', target: id } })).map((r) => ({
      wasLost: r.params.wasLost,
      lastSeenAt: r.params.lastSeenAt,
    }));

  it.each([
    ['the record left the bucket, before the commit', 'n1', 'record' as const],
    ['the command consumer was deleted, before the commit', 'n2', 'consumer' as const],
  ])('finishes on retry a removal killed after %s: one node.removed, no consumer left', async (_what, id, step) => {
    const { sut, bucket, consumers } = setup(id, step);

    await expect(sut.remove({ nodeId: id, force: false, actor })).rejects.toThrow('killed');
    const retry = await sut.remove({ nodeId: id, force: false, actor });
    const again = await sut.remove({ nodeId: id, force: false, actor });

    expect(retry).toEqual({
      ok: true,
      result: { nodeId: id, lastSeenAt: '2026-01-01T00:00:00Z', wasLost: true, consumerDeleted: step === 'record' },
    });
    expect(again).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect({ bucket: [...bucket.keys()], consumers: [...consumers] }).toEqual({ bucket: [], consumers: [] });
    expect(await removals(id)).toEqual([{ wasLost: true, lastSeenAt: '2026-01-01T00:00:00Z' }]);
  });

  it('removes in one go when nothing crashes, leaving nothing to finish', async () => {
    const { sut } = setup('n3', undefined);

    const reply = await sut.remove({ nodeId: 'n3', force: false, actor });
    const again = await sut.remove({ nodeId: 'n3', force: false, actor });

    expect(reply).toMatchObject({ ok: true, result: { consumerDeleted: true } });
    expect(again).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await removals('n3')).toHaveLength(1);
  });
});
