import { SettingErrorCode, SETTING_KEYS, Subjects } from '@lockstep/contracts';
import { openMigratedDataSource } from '@lockstep/persistence';
import { createTestDatabase, type TestDatabase } from '@lockstep/testing';
import type { DataSource } from 'typeorm';
import { ApiModule } from './api.module';
import { SettingsRepository } from './settings/settings.repository';
import { startApiTestApp, type ApiTestApp } from './testing/api-test-app';

/** `/v1/settings` through HTTP against a real database: each change is one transaction of row, audit record and event. */
describe(`${ApiModule.name} settings routes`, () => {
  let db: TestDatabase;
  let ds: DataSource;
  let app: ApiTestApp;

  const rows = () => ds.query<Array<{ key: string; value: unknown; updated_by: string }>>(`SELECT * FROM "settings"`);
  const audit = () =>
    ds.query<Array<{ action: string; target: string; params: Record<string, unknown>; actor_name: string }>>(
      `SELECT "action", "target", "params", "actor_name" FROM "audit_log" ORDER BY "id"`,
    );
  const events = () =>
    ds.query<Array<{ subject: string; event: { data: Record<string, unknown> } }>>(
      `SELECT "subject", "event" FROM "outbox" ORDER BY "id"`,
    );
  const state = async () => ({ rows: await rows(), audit: await audit(), events: await events() });

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = await openMigratedDataSource(db.url);
    app = await startApiTestApp({ send: jest.fn(), repositories: [[SettingsRepository, new SettingsRepository(ds)]] });
  });
  afterAll(async () => {
    await app?.close();
    await ds?.destroy();
    await db?.drop();
  });
  beforeEach(async () => {
    await ds.query(`DELETE FROM "settings"`);
    await ds.query(`DELETE FROM "outbox"`);
  });

  it('lists every setting with its default, bounds or choices', async () => {
    const res = await app.call('GET', '/v1/settings');

    expect(res.status).toBe(200);
    expect(res.body.items.map((s: { key: string }) => s.key)).toEqual(SETTING_KEYS);
    expect(res.body.items[1]).toMatchObject({ key: 'update.evaluation_interval', value: '30s', isDefault: true });
    expect(res.body.items[1].bounds).toEqual({ min: '1s', max: '1h' });
    expect(res.body.items[3]).toMatchObject({ choices: ['run-once', 'skip'], bounds: null, updatedBy: null });
  });

  it('sets a value: the row, an audit record with old and new, and settings.changed, together', async () => {
    const res = await app.call('PUT', '/v1/settings/update.evaluation_interval', { value: '5m' });

    expect(res).toMatchObject({
      status: 200,
      body: { key: 'update.evaluation_interval', value: '5m', isDefault: false, updatedBy: 'test-owner' },
    });
    expect(await rows()).toEqual([expect.objectContaining({ key: 'update.evaluation_interval', value: '5m' })]);
    expect((await audit()).at(-1)).toMatchObject({
      action: 'settings.set',
      target: 'update.evaluation_interval',
      params: { old: '30s', new: '5m' },
      actor_name: 'test-owner',
    });
    expect(await events()).toEqual([
      expect.objectContaining({
        subject: Subjects.SettingsChanged,
        event: expect.objectContaining({
          data: expect.objectContaining({ key: 'update.evaluation_interval', oldValue: '30s', newValue: '5m' }),
        }),
      }),
    ]);
    expect((await app.call('GET', '/v1/settings/update.evaluation_interval')).body.value).toBe('5m');
  });

  it.each([
    ['update.evaluation_interval', '10s', { value: '2h' }, /from 1s to 1h/],
    ['update.evaluation_interval', '10s', { value: '30' }, /with a unit/],
    ['update.automatic', false, { value: 'yes' }, /true or false/],
    ['schedule.missed_runs', 'skip', { value: 'always' }, /one of run-once, skip/],
    ['backup.keep_last', 4, { value: -3 }, /whole number from 0 to 10000/],
  ])(
    'refuses %s (set to %j) = %j with 400 naming what is allowed, and changes nothing',
    async (key, set, body, allowed) => {
      await app.call('PUT', `/v1/settings/${key}`, { value: set });
      const before = await state();

      const res = await app.call('PUT', `/v1/settings/${key}`, body);

      expect(res).toMatchObject({ status: 400, body: { code: SettingErrorCode.InvalidValue } });
      expect(res.body.detail).toMatch(allowed);
      expect(before.rows).toEqual([expect.objectContaining({ key, value: set })]);
      expect(await state()).toEqual(before);
    },
  );

  it.each([
    ['PUT', { value: true }],
    ['GET', undefined],
    ['DELETE', undefined],
  ])('answers %s of an unknown key 404 listing the known ones, and changes nothing', async (method, body) => {
    const before = await state();

    const res = await app.call(method, '/v1/settings/update.automatik', body);

    expect(res).toMatchObject({ status: 404, body: { code: SettingErrorCode.Unknown } });
    expect(res.body.detail).toContain('did you mean update.automatic?');
    expect(res.body.detail).toContain('schedule.catch_up_limit');
    expect(await state()).toEqual(before);
  });

  it('refuses a body that is not {value}', async () => {
    const res = await app.call('PUT', '/v1/settings/update.automatic', { value: false, extra: 1 });

    expect(res.status).toBe(400);
    expect(await rows()).toEqual([]);
  });

  it('resets to the default: deletes the row, audits and announces it; a second reset does nothing', async () => {
    await app.call('PUT', '/v1/settings/schedule.missed_runs', { value: 'skip' });
    const audited = (await audit()).length;

    const res = await app.call('DELETE', '/v1/settings/schedule.missed_runs');
    const again = await app.call('DELETE', '/v1/settings/schedule.missed_runs');

    expect(res).toMatchObject({ status: 200, body: { value: 'run-once', isDefault: true } });
    expect(again.status).toBe(200);
    expect(await rows()).toEqual([]);
    expect((await audit()).slice(audited)).toEqual([
      expect.objectContaining({ action: 'settings.reset', params: { old: 'skip', new: 'run-once' } }),
    ]);
    expect((await events()).map((e) => e.event.data)).toEqual([
      expect.objectContaining({ newValue: 'skip' }),
      expect.objectContaining({ oldValue: 'skip', newValue: 'run-once', reset: true }),
    ]);
  });

  it('keeps no row for a value set to its default', async () => {
    await app.call('PUT', '/v1/settings/update.automatic', { value: false });

    const res = await app.call('PUT', '/v1/settings/update.automatic', { value: 'true' });

    expect(res.body).toMatchObject({ value: true, isDefault: true });
    expect(await rows()).toEqual([]);
  });

  it('lets a viewer read but not change settings', async () => {
    const viewer = await app.issueToken({ name: 'watcher', role: 'viewer' });
    const as = (method: string, body?: unknown) =>
      app.send(method, '/v1/settings/update.automatic', { body, headers: { authorization: `Bearer ${viewer}` } });

    const [read, write] = [await as('GET'), await as('PUT', { value: false })];

    expect(read.status).toBe(200);
    expect(write.status).toBe(403);
    expect(await rows()).toEqual([]);
  });
});
