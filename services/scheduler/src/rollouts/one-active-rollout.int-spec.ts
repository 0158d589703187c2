import { RolloutCreateV1, RolloutStateErrorCode, systemActor, type QueryReply } from '@lockstep/contracts';
import type { NodeEntry } from '@lockstep/messaging';
import { createDataSource, RolloutEntity, runMigrations } from '@lockstep/persistence';
import { createTestDatabase, type TestDatabase } from '@lockstep/testing';
import type { DataSource } from 'typeorm';
import type { AuditRepository } from '../audit/audit.repository';
import type { FleetView } from '../fleet/fleet-view.service';
import type { ClusterLockAdmin } from './cluster-lock.port';
import type { ReleaseInfoRepository } from './release-info.repository';
import type { RolloutReconciler } from './rollout-reconciler.service';
import { RolloutRepository } from './rollout.repository';
import { RolloutsService } from './rollouts.service';

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

/**
 * The real repository, except that `active()` answers only once `callers` requests have asked:
 * every request passes the one-active-rollout check before any inserts, as two API calls racing
 * through two scheduler replicas can.
 */
class RacingRolloutRepository extends RolloutRepository {
  private waiting: Array<() => void> = [];

  constructor(
    ds: DataSource,
    private readonly callers: number,
  ) {
    super(ds);
  }

  override async active(): Promise<RolloutEntity[]> {
    const seen = await super.active();
    await new Promise<void>((resolve) => {
      this.waiting.push(resolve);
      if (this.waiting.length >= this.callers) this.waiting.splice(0).forEach((go) => go());
    });
    return seen;
  }
}

describe('one active rollout per cluster (Postgres)', () => {
  let db: TestDatabase;
  let ds: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = createDataSource(db.url);
    await ds.initialize();
    await runMigrations(ds);
  });
  afterAll(async () => {
    await ds.destroy();
    await db.drop();
  });

  const service = (repo: RolloutRepository) =>
    new RolloutsService(
      repo,
      { list: async () => [node('n1'), node('n2')] } as unknown as FleetView,
      { wake: () => undefined } as unknown as RolloutReconciler,
      {
        get: async (component: string, version: string) => ({
          ok: true as const,
          result: { component, version, scheme: 'semver', artifact: { uri: 's3://b/demo', sha256: 'a', length: 1 } },
        }),
      } as unknown as ReleaseInfoRepository,
      {} as ClusterLockAdmin,
      {} as AuditRepository,
    );
  const create = (sut: RolloutsService, version: string): Promise<QueryReply<unknown>> =>
    sut.create({ ...RolloutCreateV1.parse({ component: 'demo', version }), actor: systemActor('spec') });

  it('lets exactly one of two concurrent creates start, and refuses the other as the check does', async () => {
    const sut = service(new RacingRolloutRepository(ds, 2));

    const replies = await Promise.all([create(sut, '1.1.0'), create(sut, '1.2.0')]);

    const active = await ds
      .getRepository(RolloutEntity)
      .find({ where: [{ state: 'planned' }, { state: 'running' }, { state: 'paused' }] });
    expect(active).toHaveLength(1);
    expect(replies.filter((r) => r.ok)).toHaveLength(1);
    expect(replies.find((r) => !r.ok)).toEqual({
      ok: false,
      error: {
        code: RolloutStateErrorCode.Active,
        message: `rollout ${active[0].id} (demo → ${active[0].targetVersion}) is planned; only one rollout runs per cluster — wait, or pause/abort it`,
      },
    });
  });

  it('still refuses a create while a rollout is active, without reaching the database constraint', async () => {
    const sut = service(new RolloutRepository(ds));

    const reply = await create(sut, '1.3.0');

    expect(reply).toMatchObject({ ok: false, error: { code: RolloutStateErrorCode.Active } });
  });
});
