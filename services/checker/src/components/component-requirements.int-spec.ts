import { Subjects, systemActor, type ComponentUpsertV1, type ReleaseAvailableV1 } from '@lockstep/contracts';
import { AnnouncedReleaseEntity, AuditLogEntity, ComponentEntity } from '@lockstep/persistence';
import { trustedRootFor } from '@lockstep/releases';
import { findCycle, requirementGraph } from '@lockstep/versioning';
import { checkerTestbed } from '../testing/checker-testbed';
import { ComponentsService } from './components.service';

const actor = systemActor('component-requirements-int');

/**
 * Issue 13, components that depend on each other: registrations store what a component needs,
 * and one that would close a cycle, or names an unregistered component, is refused with nothing
 * stored; a release's signed requirements reach announced_releases and release.available.
 */
describe('component requirements (Postgres, S3)', () => {
  let bed: Awaited<ReturnType<typeof checkerTestbed>>;
  let sut: ComponentsService;

  const register = (name: string, over: Partial<ComponentUpsertV1> = {}) =>
    sut.upsert({
      name,
      scheme: 'semver',
      channel: 'stable',
      currentVersion: '1.0.0',
      sourceType: 'npm',
      sourceConfig: { package: name },
      actor,
      ...over,
    });
  const stored = async () =>
    Object.fromEntries(
      (await bed.db.ds.getRepository(ComponentEntity).find({ order: { name: 'ASC' } })).map((c) => [
        c.name,
        c.requires,
      ]),
    );
  const audits = () => bed.db.ds.getRepository(AuditLogEntity).count({ where: { action: 'component.upsert' } });

  beforeAll(async () => {
    bed = await checkerTestbed();
    sut = new ComponentsService(bed.repo);
  });
  afterAll(() => bed.stop());

  it('stores what a component requires and answers with it; absent keeps it', async () => {
    await register('config');
    const app = await register('app', { requires: { config: '>=2.0.0' } });
    const again = await register('app', { currentVersion: '1.4.0' });

    expect(app).toMatchObject({ ok: true, result: { name: 'app', requires: { config: '>=2.0.0' } } });
    expect(again).toMatchObject({ ok: true, result: { requires: { config: '>=2.0.0' } } });
    expect(await stored()).toEqual({ app: { config: '>=2.0.0' }, config: {} });
  });

  it('keeps the version a component runs when a registration leaves currentVersion out (re-registering to add requires)', async () => {
    await register('worker', { currentVersion: '3.1.0' });

    const again = await register('worker', { currentVersion: undefined, requires: { config: '>=1.0.0' } });
    const cleared = await register('worker', { currentVersion: null });

    expect(again).toMatchObject({ ok: true, result: { currentVersion: '3.1.0', requires: { config: '>=1.0.0' } } });
    expect(cleared).toMatchObject({ ok: true, result: { currentVersion: null } });
    await bed.db.ds.getRepository(ComponentEntity).delete({ name: 'worker' });
  });

  it('refuses a registration that closes a cycle, naming it, and changes nothing', async () => {
    const before = await audits();

    const reply = await register('config', { currentVersion: '2.0.0', requires: { app: '>=1.4' } });

    expect(reply).toEqual({
      ok: false,
      error: {
        code: 'DEPENDENCY_CYCLE',
        message: expect.stringContaining('components depend on each other in a cycle: config → app → config'),
      },
    });
    expect(await stored()).toEqual({ app: { config: '>=2.0.0' }, config: {} });
    expect((await bed.repo.findComponent('config'))!.currentVersion).toBe('1.0.0');
    expect(await audits()).toBe(before);
  });

  it.each([
    [{ ghost: '>=1.0.0' }, 'REQUIREMENT_UNKNOWN_COMPONENT', /ghost is not registered \(registered: app, config\)/],
    [{ worker: '>=1.0.0' }, 'DEPENDENCY_CYCLE', /worker → worker/],
  ])('refuses worker requiring %j (%s) and does not store it', async (requires, code, message) => {
    const reply = await register('worker', { requires });

    expect(reply).toMatchObject({ ok: false, error: { code } });
    expect(!reply.ok && reply.error.message).toMatch(message);
    expect(await bed.repo.findComponent('worker')).toBeNull();
  });

  it('refuses a range the required component’s scheme cannot read (abr knows >=VERSION only)', async () => {
    await register('legacy', { scheme: 'abr', currentVersion: '1r2' });

    const reply = await register('worker', { requires: { legacy: '^1r2' } });

    expect(reply).toMatchObject({ ok: false, error: { code: 'REQUIREMENT_RANGE_INVALID' } });
    expect(!reply.ok && reply.error.message).toMatch(/not a version range of the abr scheme; expected >=VERSION/);
  });

  it('signed release requirements reach announced_releases and release.available, still announced when they close a cycle', async () => {
    await bed.publish('config', '2.0.0', { requires: { app: '>=1.4' } });
    const trustedRoot = (await trustedRootFor(bed.store, 'config')).toString('utf8');
    expect(await register('config', { sourceType: 'tuf', sourceConfig: { mode: 's3', trustedRoot } })).toMatchObject({
      ok: true,
    });

    const result = await bed.releaseCheck().check((await bed.repo.findComponent('config'))!, 'demand');

    expect(result).toMatchObject({ ok: true, announced: ['2.0.0'] });
    const row = await bed.db.ds.getRepository(AnnouncedReleaseEntity).findOneByOrFail({ component: 'config' });
    expect(row.requires).toEqual({ app: '>=1.4' });
    const [event] = await bed.db.ds.query<Array<{ event: { data: ReleaseAvailableV1 } }>>(
      `SELECT event FROM outbox WHERE subject = $1`,
      [Subjects.ReleaseAvailable],
    );
    expect(event.event.data).toMatchObject({ component: 'config', version: '2.0.0', requires: { app: '>=1.4' } });
    // The engine's view: registrations plus what the announced release needs close a cycle.
    const registered = new Map(
      (await bed.db.ds.getRepository(ComponentEntity).find()).map((c) => [c.name, c.requires] as const),
    );
    expect(findCycle(requirementGraph(registered, new Map([['config', row.requires]])))).toEqual([
      'app',
      'config',
      'app',
    ]);
    // Registering app again with the requirement that closes it is refused; dropping it is not.
    expect(await register('app', { requires: { config: '>=2.0.0' } })).toMatchObject({
      ok: false,
      error: { code: 'DEPENDENCY_CYCLE', message: expect.stringContaining('app → config → app') },
    });
    expect(await register('app', { requires: {} })).toMatchObject({ ok: true, result: { requires: {} } });
  });
});
