import { createDataSource, runMigrations, UpdateDecisionsStore } from '@lockstep/persistence';
import { createTestDatabase, type TestDatabase } from '@lockstep/testing';
import type { DataSource } from 'typeorm';
import { startApiTestApp, type ApiTestApp } from './testing/api-test-app';
import { UpdateDecisionsRepository } from './updates/update-decisions.repository';

const ANNOUNCED = ['1.1.0', '1.2.0', '2.0.0'];

describe('approvals and holds (real Postgres, HTTP)', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let app: ApiTestApp;

  const audit = () =>
    ds.query<Array<{ action: string; target: string; actor_name: string; params: Record<string, unknown> }>>(
      `SELECT "action", "target", "actor_name", "params" FROM "audit_log"
       WHERE "action" LIKE 'update.%' OR "action" LIKE 'hold.%' ORDER BY "id"`,
    );
  const announced = (i: number) => new Date(Date.UTC(2026, 0, 1 + i));

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = createDataSource(db.url);
    await ds.initialize();
    await runMigrations(ds);
    await ds.query(`INSERT INTO "components" ("name", "source_type") VALUES ('demo', 'tuf'), ('web', 'tuf')`);
    for (const [i, version] of ANNOUNCED.entries())
      await ds.query(
        `INSERT INTO "announced_releases" ("id", "component", "version", "kind", "channel", "artifact_uri", "sha256", "length", "announced_at")
         VALUES (gen_random_uuid(), 'demo', $1, 'minor', 'stable', 's3://b/a', $2, 1, $3)`,
        [version, 'a'.repeat(64), announced(i)],
      );
    app = await startApiTestApp({
      send: jest.fn(),
      repositories: [[UpdateDecisionsRepository, new UpdateDecisionsRepository(ds)]],
      database: ds,
    });
  });
  afterAll(async () => {
    await app.close();
    await ds.destroy();
    await db.drop();
  });
  beforeEach(async () => {
    await ds.query(`TRUNCATE "update_approvals", "update_holds", "outbox"`);
  });

  describe('approve and reject', () => {
    it('approves a release the engine asked about, keeping when it asked, audited under the request’s token', async () => {
      await ds.transaction((m) =>
        new UpdateDecisionsStore(ds).requestApproval(m, 'demo', '2.0.0', new Date('2026-02-01T00:00:00Z')),
      );

      const res = await app.call('POST', '/v1/updates/demo/2.0.0/approve', { reason: 'tested on staging' });
      const listed = await app.call('GET', '/v1/updates/approvals');

      expect(res).toMatchObject({
        status: 200,
        body: {
          approval: {
            component: 'demo',
            version: '2.0.0',
            state: 'approved',
            requestedAt: '2026-02-01T00:00:00.000Z',
            decidedAt: expect.any(String),
            decidedBy: 'test-owner',
            reason: 'tested on staging',
          },
          replaced: null,
        },
      });
      expect(listed.body.items).toEqual([res.body.approval]);
      expect((await audit()).at(-1)).toMatchObject({
        action: 'update.approve',
        target: 'demo@2.0.0',
        actor_name: 'test-owner',
        params: { reason: 'tested on staging', replaced: 'pending' },
      });
    });

    it('approves without a body or reason, before the engine asked', async () => {
      const res = await app.call('POST', '/v1/updates/demo/1.2.0/approve');

      expect(res).toMatchObject({
        status: 200,
        body: { approval: { state: 'approved', requestedAt: null, reason: '' } },
      });
    });

    it('rejects an approved release, saying what it replaced, and back', async () => {
      await app.call('POST', '/v1/updates/demo/1.1.0/approve', {});

      const rejected = await app.call('POST', '/v1/updates/demo/1.1.0/reject', { reason: 'CVE-2026-1' });
      const approved = await app.call('POST', '/v1/updates/demo/1.1.0/approve', {});

      expect(rejected.body).toMatchObject({
        approval: { state: 'rejected', reason: 'CVE-2026-1' },
        replaced: { state: 'approved', decidedBy: 'test-owner' },
      });
      expect(approved.body).toMatchObject({ approval: { state: 'approved' }, replaced: { state: 'rejected' } });
      expect((await audit()).slice(-3).map((a) => a.action)).toEqual([
        'update.approve',
        'update.reject',
        'update.approve',
      ]);
    });

    it.each([
      [
        'a version never announced',
        '/v1/updates/demo/9.9.9/approve',
        /never announced demo 9\.9\.9.*known versions of demo: 2\.0\.0, 1\.2\.0, 1\.1\.0/,
      ],
      [
        'a component with no announced release',
        '/v1/updates/web/1.0.0/reject',
        /no release of web has been announced.*lockstep check web/,
      ],
    ])('refuses to decide %s with 404, naming what is known', async (_what, path, detail) => {
      const res = await app.call('POST', path, { reason: 'x' });

      expect(res).toMatchObject({ status: 404, body: { code: 'NOT_FOUND', detail: expect.stringMatching(detail) } });
      expect(await ds.query(`SELECT 1 FROM "update_approvals"`)).toEqual([]);
    });

    it.each([
      [
        'a rejection without a reason',
        '/v1/updates/demo/1.1.0/reject',
        { reason: '  ' },
        /say why the release is rejected/,
      ],
      ['an unknown field', '/v1/updates/demo/1.1.0/approve', { reason: '', force: true }, /force/],
      ['a malformed version', '/v1/updates/demo/1.1.0%20x/approve', {}, /expected a release version/],
    ])('answers 400 for %s', async (_what, path, body, detail) => {
      const res = await app.call('POST', path, body);

      expect(res).toMatchObject({ status: 400, body: { detail: expect.stringMatching(detail) } });
    });
  });

  describe('holds', () => {
    it('holds a component, lists it, announces update.held, and refuses the same hold twice with 409', async () => {
      const created = await app.call('POST', '/v1/holds', { component: 'demo', reason: 'quarter-end freeze' });
      const again = await app.call('POST', '/v1/holds', { component: 'demo', reason: 'other' });
      const oneVersion = await app.call('POST', '/v1/holds', { component: 'demo', version: '2.0.0', reason: 'bad' });
      const listed = await app.call('GET', '/v1/holds');

      expect(created).toMatchObject({
        status: 201,
        body: {
          component: 'demo',
          version: null,
          reason: 'quarter-end freeze',
          automatic: false,
          createdBy: 'test-owner',
          releasedAt: null,
        },
      });
      expect(again).toMatchObject({
        status: 409,
        body: {
          code: 'HOLD_EXISTS',
          detail: expect.stringMatching(
            /demo \(every version\) is already held .* by test-owner: quarter-end freeze.*lockstep release-hold demo\)/,
          ),
        },
      });
      expect(oneVersion).toMatchObject({ status: 201, body: { version: '2.0.0' } });
      expect(listed.body.items.map((h: { version: string | null }) => h.version)).toEqual([null, '2.0.0']);
      expect(await ds.query(`SELECT "subject" FROM "outbox" ORDER BY "id"`)).toEqual([
        { subject: 'evt.update.held.v1' },
        { subject: 'evt.update.held.v1' },
      ]);
      expect((await audit()).map((a) => [a.action, a.target])).toEqual(
        expect.arrayContaining([
          ['hold.create', created.body.id],
          ['hold.create', oneVersion.body.id],
        ]),
      );
    });

    it.each([
      [
        'an unknown component (404, naming the known ones)',
        { component: 'nope', reason: 'x' },
        404,
        /component nope is not registered; known components: demo, web/,
      ],
      ['an empty reason', { component: 'demo', reason: '' }, 400, /say why the component is held/],
      ['no reason', { component: 'demo' }, 400, /reason/],
    ])('refuses a hold of %s', async (_what, body, status, detail) => {
      const res = await app.call('POST', '/v1/holds', body);

      expect(res).toMatchObject({ status, body: { detail: expect.stringMatching(detail) } });
      expect(await ds.query(`SELECT 1 FROM "update_holds"`)).toEqual([]);
    });

    it('releases the hold on one version, then on every version, audited; a second release is 404', async () => {
      await app.call('POST', '/v1/holds', { component: 'demo', reason: 'freeze' });
      await app.call('POST', '/v1/holds', { component: 'demo', version: '2.0.0', reason: 'bad' });

      const version = await app.call('DELETE', '/v1/holds/demo?version=2.0.0');
      const all = await app.call('DELETE', '/v1/holds/demo');
      const twice = await app.call('DELETE', '/v1/holds/demo');

      expect(version).toMatchObject({ status: 200, body: { version: '2.0.0', releasedBy: 'test-owner' } });
      expect(all).toMatchObject({ status: 200, body: { version: null, releasedAt: expect.any(String) } });
      expect(twice).toMatchObject({
        status: 404,
        body: { detail: 'demo has no live hold on every version; it has no live hold (lockstep holds lists them)' },
      });
      expect((await app.call('GET', '/v1/holds')).body.items).toEqual([]);
      expect((await audit()).filter((a) => a.action === 'hold.release').map((a) => a.target)).toEqual([
        version.body.id,
        all.body.id,
      ]);
    });

    it('says which holds a component has when the one named is not among them', async () => {
      await app.call('POST', '/v1/holds', { component: 'demo', version: '2.0.0', reason: 'bad' });

      const res = await app.call('DELETE', '/v1/holds/demo');

      expect(res).toMatchObject({
        status: 404,
        body: {
          detail:
            'demo has no live hold on every version; its live holds cover version 2.0.0 (name one with --version)',
        },
      });
    });
  });
});
