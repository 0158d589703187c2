import { ComponentEntity } from '@lockstep/persistence';
import type { NodeEntry } from '@lockstep/messaging';
import type { DataSource } from 'typeorm';
import { AuditRepository } from '../audit/audit.repository';
import { demoNode, migratedDatabase } from '../testing/scheduler-fixtures';
import { ComponentVersions } from './component-versions.service';
import type { FleetView } from './fleet-view.service';

/** Issue 12, defect 11: the registered current version never moved after a rollout. */
describe(ComponentVersions.name, () => {
  let db: Awaited<ReturnType<typeof migratedDatabase>>;
  let ds: DataSource;
  let nodes: NodeEntry[];
  let sut: ComponentVersions;
  const at = (id: string, version: string, lost = false): NodeEntry => {
    const n = demoNode(id);
    return { record: { ...n.record, components: { demo: version } }, lost };
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
    await ds.query(`TRUNCATE components CASCADE`);
    await ds.getRepository(ComponentEntity).insert({
      name: 'demo',
      scheme: 'semver',
      channel: 'stable',
      currentVersion: '1.0.0',
      sourceType: 'tuf',
      sourceConfig: {},
    });
    nodes = [];
    sut = new ComponentVersions(ds, { list: async () => nodes } as unknown as FleetView, new AuditRepository(ds));
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
});
