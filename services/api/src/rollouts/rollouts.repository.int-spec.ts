import type { RolloutState } from '@lockstep/contracts';
import { createDataSource, RolloutEntity, RolloutNodeEntity, runMigrations } from '@lockstep/persistence';
import { createTestDatabase, type TestDatabase } from '@lockstep/testing';
import type { DataSource } from 'typeorm';
import { RolloutsRepository, type RolloutFilter } from './rollouts.repository';

const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';
const C = '33333333-3333-4333-8333-333333333333';

describe(RolloutsRepository.name, () => {
  let db: TestDatabase;
  let ds: DataSource;
  let sut: RolloutsRepository;

  const rollout = (id: string, component: string, state: RolloutState, createdAt: string) => ({
    id,
    component,
    targetVersion: '1.1.0',
    kind: 'upgrade',
    // jsonb columns do not fit TypeORM's deep-partial insert type
    artifact: { uri: 's3://x', sha256: 'a'.repeat(64), length: 1 } as never,
    selector: 'all',
    strategy: {
      maxParallel: 1,
      canary: 0,
      minHealthyMs: 0,
      healthyDeadlineMs: 1000,
      progressDeadlineMs: 1000,
      maxFailures: 0,
      autoRollback: true,
      pauseBetweenBatchesMs: 0,
    } as never,
    state,
    createdAt: new Date(createdAt),
  });

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = createDataSource(db.url);
    await ds.initialize();
    await runMigrations(ds);
    await ds.getRepository(RolloutEntity).insert([
      rollout(A, 'demo', 'succeeded', '2026-01-01T00:00:01Z'),
      rollout(B, 'demo', 'running', '2026-01-01T00:00:02Z'),
      rollout(C, 'web', 'failed', '2026-01-01T00:00:03Z'), // one active rollout at most
    ]);
    await ds.getRepository(RolloutNodeEntity).insert([
      { rolloutId: B, nodeId: 'node-2', batch: 1, status: 'installing', step: 'downloading', percent: 20 },
      {
        rolloutId: B,
        nodeId: 'node-1',
        batch: 0,
        canary: true,
        fromVersion: '1.0.0',
        status: 'succeeded',
        percent: 100,
      },
      { rolloutId: B, nodeId: 'node-3', batch: 1, status: 'pending' },
      { rolloutId: A, nodeId: 'node-1', batch: 0, status: 'succeeded' },
    ]);
    sut = new RolloutsRepository(ds);
  });
  afterAll(async () => {
    await ds.destroy();
    await db.drop();
  });

  it('lists newest first with node counts by status', async () => {
    const rows = await sut.list({ limit: 50 });

    expect(rows.map((r) => r.rollout.id)).toEqual([C, B, A]);
    expect(rows[1].statusCounts).toEqual({ installing: 1, succeeded: 1, pending: 1 });
    expect(rows[0].statusCounts).toEqual({});
    expect(rows[1].rollout.strategy).toMatchObject({ autoRollback: true });
  });

  it.each<[RolloutFilter, string[]]>([
    [{ component: 'demo', limit: 50 }, [B, A]],
    [{ state: 'running', limit: 50 }, [B]],
    [{ state: 'failed', limit: 50 }, [C]],
    [{ limit: 1 }, [C]],
  ])('filters %j', async (filter, ids) => {
    expect((await sut.list(filter)).map((r) => r.rollout.id)).toEqual(ids);
  });

  it('reads one rollout and its nodes in batch order, then by id', async () => {
    const found = await sut.find(B);
    const nodes = await sut.nodes(B);

    expect(found?.state).toBe('running');
    expect(nodes.map((n) => [n.batch, n.nodeId, n.status])).toEqual([
      [0, 'node-1', 'succeeded'],
      [1, 'node-2', 'installing'],
      [1, 'node-3', 'pending'],
    ]);
    expect(await sut.find('44444444-4444-4444-8444-444444444444')).toBeNull();
  });
});
