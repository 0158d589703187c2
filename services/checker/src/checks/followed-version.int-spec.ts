import { Subjects, type ReleaseAvailableV1 } from '@lockstep/contracts';
import { ComponentEntity } from '@lockstep/persistence';
import { trustedRootFor } from '@lockstep/releases';
import { nodeEntry } from '@lockstep/testing';
import { AuditRepository } from '../../../scheduler/src/audit/audit.repository';
import { ComponentVersionsRepository } from '../../../scheduler/src/fleet/component-versions.repository';
import { ComponentVersions } from '../../../scheduler/src/fleet/component-versions.service';
import type { FleetView } from '../../../scheduler/src/fleet/fleet-view.service';
import { checkerTestbed } from '../testing/checker-testbed';

/**
 * Issue 12, defect 11: announcements are relative to the version the component's nodes run.
 * The scheduler moves the component's current version after a rollout; the checker's next
 * release.available compares with that, not with the version it was registered with.
 */
describe('release.available after the current version followed the nodes (Postgres, S3)', () => {
  let bed: Awaited<ReturnType<typeof checkerTestbed>>;

  const publish = (version: string) => bed.publish('demo', version);
  /** The release.available payloads the checker put into the outbox, oldest first. */
  const announced = async () =>
    (
      await bed.db.ds.query<Array<{ event: { data: ReleaseAvailableV1 } }>>(
        `SELECT event FROM outbox WHERE subject = $1 ORDER BY id`,
        [Subjects.ReleaseAvailable],
      )
    ).map((r) => r.event.data);

  beforeAll(async () => {
    bed = await checkerTestbed();
  });
  afterAll(() => bed.stop());

  it('classifies the next release against the followed version: 1.3.0 is minor over 1.2.0, not major over 0.9.0', async () => {
    await publish('0.9.0');
    await publish('1.2.0');
    const trustedRoot = (await trustedRootFor(bed.store, 'demo')).toString('utf8');
    await bed.db.ds.getRepository(ComponentEntity).insert({
      name: 'demo',
      scheme: 'semver',
      channel: 'stable',
      currentVersion: '0.9.0',
      sourceType: 'tuf',
      sourceConfig: { mode: 's3', trustedRoot },
    });
    const checker = bed.releaseCheck();
    const check = async () => checker.check((await bed.repo.findComponent('demo'))!, 'demand');
    const fleet = [nodeEntry('n1', { demo: '0.9.0' }), nodeEntry('n2', { demo: '0.9.0' })];
    const scheduler = new ComponentVersions(
      new ComponentVersionsRepository(bed.db.ds, new AuditRepository(bed.db.ds)),
      {
        list: async () => fleet,
      } as unknown as FleetView,
    );
    // registered as 0.9.0: 1.2.0 is announced as a major update
    expect(await check()).toMatchObject({ ok: true, announced: ['1.2.0'] });

    // a rollout brings both nodes to 1.2.0; then 1.3.0 is published
    await scheduler.afterRollout({ id: 'r1', component: 'demo', targetVersion: '1.2.0' }, [
      { nodeId: 'n1', status: 'succeeded', fromVersion: '0.9.0' },
      { nodeId: 'n2', status: 'succeeded', fromVersion: '0.9.0' },
    ]);
    await publish('1.3.0');
    const next = await check();

    expect(next).toMatchObject({ ok: true, announced: ['1.3.0'] });
    expect((await announced()).map(({ version, currentVersion, kind }) => ({ version, currentVersion, kind }))).toEqual(
      [
        { version: '1.2.0', currentVersion: '0.9.0', kind: 'major' },
        { version: '1.3.0', currentVersion: '1.2.0', kind: 'minor' },
      ],
    );
  });
});
