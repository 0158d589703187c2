import { RolloutCreateV1, RolloutStateErrorCode, systemActor, type QueryReply } from '@lockstep/contracts';
import { allMigrations, createDataSource, RolloutEntity, runMigrations } from '@lockstep/persistence';
import { createTestDatabase } from '@lockstep/testing';
import type { DataSource } from 'typeorm';
import { demoNode, migratedDatabase, verifiedReleases } from '../testing/scheduler-fixtures';
import type { AuditRepository } from '../audit/audit.repository';
import type { FleetView } from '../fleet/fleet-view.service';
import type { ClusterLockAdmin } from './cluster-lock.port';
import type { RolloutReconciler } from './rollout-reconciler.service';
import { RolloutRepository } from './rollout.repository';
import { RolloutsService } from './rollouts.service';

/**
 * The real repository, except that the first `callers` calls of `active()` answer only once all
 * of them have asked: every request passes the one-active-rollout check before any inserts, as
 * two API calls racing through two scheduler replicas can. Later calls answer at once.
 */
class RacingRolloutRepository extends RolloutRepository {
  private waiting: Array<() => void> = [];
  private released = false;

  constructor(
    ds: DataSource,
    private readonly callers: number,
  ) {
    super(ds);
  }

  override async active(): Promise<RolloutEntity[]> {
    const seen = await super.active();
    if (this.released) return seen;
    await new Promise<void>((resolve) => {
      this.waiting.push(resolve);
      if (this.waiting.length < this.callers) return;
      this.released = true;
      this.waiting.splice(0).forEach((go) => go());
    });
    return seen;
  }
}

describe('one active rollout per cluster (Postgres)', () => {
  let db: Awaited<ReturnType<typeof migratedDatabase>>;
  beforeAll(async () => {
    db = await migratedDatabase();
  });
  afterAll(() => db.drop());

  const service = (repo: RolloutRepository) =>
    new RolloutsService(
      repo,
      { list: async () => [demoNode('n1'), demoNode('n2')] } as unknown as FleetView,
      { wake: () => undefined } as unknown as RolloutReconciler,
      verifiedReleases(),
      {} as ClusterLockAdmin,
      {} as AuditRepository,
      {} as never,
    );
  const create = (sut: RolloutsService, version: string): Promise<QueryReply<unknown>> =>
    sut.create({ ...RolloutCreateV1.parse({ component: 'demo', version }), actor: systemActor('spec') });

  it('lets exactly one of two concurrent creates start, and refuses the other as the check does', async () => {
    const sut = service(new RacingRolloutRepository(db.ds, 2));

    const replies = await Promise.all([create(sut, '1.1.0'), create(sut, '1.2.0')]);

    const active = await db.ds
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
    const sut = service(new RolloutRepository(db.ds));

    const reply = await create(sut, '1.3.0');

    expect(reply).toMatchObject({ ok: false, error: { code: RolloutStateErrorCode.Active } });
  });

  it('upgrades a database that already holds several active rollouts: one that sent commands goes on, the others are aborted with a reason', async () => {
    const old = await createTestDatabase();
    const before = createDataSource(old.url);
    Object.assign(before.options, {
      migrations: allMigrations.filter((m) => m.name !== 'OneActiveRollout1765608000000'),
    });
    await before.initialize();
    await before.runMigrations();
    const row = (id: string, state: string, at: string) =>
      before.query(
        `INSERT INTO rollouts (id, component, target_version, kind, artifact, selector, strategy, state, created_at)
         VALUES ($1, 'demo', '1.1.0', 'upgrade', '{}', 'all', '{}', $2, $3)`,
        [id, state, at],
      );
    // an older one still planned does not win over one mid-rollout
    await row('00000000-0000-4000-8000-000000000009', 'planned', '2026-01-01T00:00:00Z');
    await row('00000000-0000-4000-8000-00000000000a', 'running', '2026-01-01T00:00:01Z');
    await row('00000000-0000-4000-8000-00000000000b', 'paused', '2026-01-01T00:00:02Z');
    await before.destroy();
    const after = createDataSource(old.url);
    await after.initialize();

    await runMigrations(after);
    const rows = await after.getRepository(RolloutEntity).find({ order: { createdAt: 'ASC' } });
    await after.destroy();
    await old.drop();

    expect(rows.map((r) => [r.state, r.reason])).toEqual([
      ['aborted', expect.stringMatching(/^aborted by a database upgrade: another rollout was active/)],
      ['running', null],
      ['aborted', expect.stringMatching(/^aborted by a database upgrade: another rollout was active/)],
    ]);
  });
});
