import { ComponentEntity } from '@lockstep/persistence';
import type { NodeEntry } from '@lockstep/messaging';
import type { DataSource } from 'typeorm';
import { randomUUID } from 'node:crypto';
import { AuditRepository } from '../audit/audit.repository';
import { demoNode, insertDemoComponent, migratedDatabase } from '../testing/scheduler-fixtures';
import { ComponentVersionsRepository } from './component-versions.repository';
import { ComponentVersions } from './component-versions.service';
import type { FleetView } from './fleet-view.service';

/** Issue 12, defect 11: the registered current version never moved after a rollout. */
describe(ComponentVersions.name, () => {
  let db: Awaited<ReturnType<typeof migratedDatabase>>;
  let ds: DataSource;
  let nodes: NodeEntry[];
  let sut: ComponentVersions;
  const at = (id: string, version: string, lost = false, seenAt = '2026-01-01T00:00:00Z'): NodeEntry => {
    const n = demoNode(id);
    return { record: { ...n.record, components: { demo: version }, seenAt }, lost };
  };
  /** A rollout of demo to `target` in `state` (finished at `finishedAt` when given), with its nodes' outcomes. */
  const rollout = async (
    target: string,
    state: string,
    finishedAt: string | null,
    nodes: Array<{ nodeId: string; status: string; fromVersion: string }> = [],
    strategy: object = {},
  ) => {
    const id = randomUUID();
    await ds.query(
      `INSERT INTO rollouts (id, component, target_version, kind, artifact, selector, strategy, state, finished_at)
       VALUES ($1, 'demo', $2, 'upgrade', '{}', 'all', $5, $3, $4)`,
      [id, target, state, finishedAt, strategy],
    );
    for (const [i, n] of nodes.entries())
      await ds.query(
        `INSERT INTO rollout_nodes (rollout_id, node_id, batch, from_version, status) VALUES ($1, $2, $3, $4, $5)`,
        [id, n.nodeId, i, n.fromVersion, n.status],
      );
    return id;
  };
  const current = async () =>
    (await ds.getRepository(ComponentEntity).findOneByOrFail({ name: 'demo' })).currentVersion;
  const audited = () =>
    ds.query<Array<{ params: { from: string | null; to: string; rolloutId?: string } }>>(
      `SELECT action, target, params FROM audit_log WHERE action = 'component.version-followed' ORDER BY id`,
    );

  beforeAll(async () => {
    db = await migratedDatabase();
    ds = db.ds;
  });
  afterAll(() => db.drop());
  beforeEach(async () => {
    await ds.query(`TRUNCATE components, rollouts CASCADE`);
    await insertDemoComponent(ds);
    nodes = [];
    sut = new ComponentVersions(new ComponentVersionsRepository(ds, new AuditRepository(ds)), {
      list: async () => nodes,
    } as unknown as FleetView);
  });

  it('follows a rollout that brought every node to its target, even before their heartbeats say so', async () => {
    nodes = [at('n1', '1.0.0'), at('n2', '1.0.0')];
    const outcomes = [
      { nodeId: 'n1', status: 'succeeded' as const, fromVersion: '1.0.0' },
      { nodeId: 'n2', status: 'succeeded' as const, fromVersion: '1.0.0' },
    ];

    const version = await sut.afterRollout({ id: 'r1', component: 'demo', targetVersion: '1.1.0' }, outcomes);

    expect(version).toBe('1.1.0');
    expect(await current()).toBe('1.1.0');
    expect((await audited()).map((r) => r.params)).toContainEqual(
      expect.objectContaining({ from: '1.0.0', to: '1.1.0', rolloutId: 'r1' }),
    );
  });

  it('is the lowest version a live node runs, so a release stays announced while one node lags', async () => {
    nodes = [at('n1', '1.2.0'), at('n2', '1.1.0'), at('gone', '0.9.0', true)];

    const version = await sut.afterRollout({ id: 'r2', component: 'demo', targetVersion: '1.2.0' }, []);

    expect(version).toBe('1.1.0');
    expect(await current()).toBe('1.1.0');
  });

  it('changes and audits nothing when the nodes run what is recorded, or when no node reports the component', async () => {
    nodes = [at('n1', '1.0.0')];
    await sut.afterRollout({ id: 'r3', component: 'demo', targetVersion: '1.1.0' }, []);
    nodes = [];
    await sut.afterRollout({ id: 'r4', component: 'demo', targetVersion: '1.1.0' }, []);

    expect(await current()).toBe('1.0.0');
    // the trail is append-only: earlier tests' records stay; none is about r3 or r4
    expect((await audited()).filter((r) => ['r3', 'r4'].includes(r.params.rolloutId ?? ''))).toEqual([]);
  });

  describe('on each look at the fleet, outside rollouts', () => {
    it('follows a node that joins running an older version, and one that leaves (lost)', async () => {
      nodes = [at('n1', '1.0.0'), at('old', '0.9.0')];

      const joined = await sut.followFleet(nodes);
      const same = await sut.followFleet(nodes);
      nodes = [at('n1', '1.0.0'), at('old', '0.9.0', true)];
      const left = await sut.followFleet(nodes);

      expect(joined).toEqual([{ component: 'demo', from: '1.0.0', to: '0.9.0' }]);
      expect(same).toEqual([]);
      expect(left).toEqual([{ component: 'demo', from: '0.9.0', to: '1.0.0' }]);
      expect(await current()).toBe('1.0.0');
      expect((await audited()).slice(-2).map((r) => r.params)).toEqual([
        { from: '1.0.0', to: '0.9.0', seen: 'fleet', nodes: 2 },
        { from: '0.9.0', to: '1.0.0', seen: 'fleet', nodes: 1 },
      ]);
    });

    it.each([
      ['running', null, {}],
      ['failed, its auto-rollback still returning nodes', '2026-02-01T12:00:00Z', { autoRollback: true }],
    ])('leaves a component with a rollout under way (%s) to that rollout', async (state, finishedAt, strategy) => {
      await rollout('1.1.0', state.split(',')[0], finishedAt, [], strategy);
      nodes = [at('n1', '1.1.0'), at('n2', '1.1.0')];

      expect(await sut.followFleet(nodes)).toEqual([]);
      expect(await current()).toBe('1.0.0');
    });

    it("never lets a heartbeat older than the last rollout's end undo what that rollout recorded", async () => {
      const ended = new Date('2026-02-01T12:00:00Z');
      await ds.getRepository(ComponentEntity).update({ name: 'demo' }, { currentVersion: '1.1.0' });
      await rollout('1.1.0', 'succeeded', ended.toISOString(), [
        { nodeId: 'n1', status: 'succeeded', fromVersion: '1.0.0' },
        { nodeId: 'n2', status: 'succeeded', fromVersion: '1.0.0' },
      ]);
      const before = new Date(ended.getTime() - 1000).toISOString();
      const after = new Date(ended.getTime() + 1000).toISOString();

      const stale = await sut.followFleet([at('n1', '1.1.0', false, after), at('n2', '1.0.0', false, before)]);
      // n2 heart-beat since, and runs 1.0.0 again (someone put it back by hand): that counts
      const fresh = await sut.followFleet([at('n1', '1.1.0', false, after), at('n2', '1.0.0', false, after)]);

      expect(stale).toEqual([]);
      expect(fresh).toEqual([{ component: 'demo', from: '1.1.0', to: '1.0.0' }]);
      expect(await current()).toBe('1.0.0');
    });

    it('moves and audits a change once when two replicas look at the same moment', async () => {
      nodes = [at('n1', '1.3.0')];
      const replica2 = new ComponentVersions(
        new ComponentVersionsRepository(ds, new AuditRepository(ds)),
        {} as unknown as FleetView,
      );
      const count = async () => (await audited()).length;
      const before = await count();

      const moved = await Promise.all([sut.followFleet(nodes), replica2.followFleet(nodes)]);

      expect(moved.flat()).toEqual([{ component: 'demo', from: '1.0.0', to: '1.3.0' }]);
      expect(await count()).toBe(before + 1);
    });
  });
});
