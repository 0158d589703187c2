import { createTestDatabase, type TestDatabase } from '@lockstep/testing';
import type { DataSource } from 'typeorm';
import { openMigratedDataSource } from '../data-source';
import { SettingEntity } from '../entities';
import { SettingsReader } from './settings-reader';

/** The reader against a real, migrated database: jsonb values come back typed, and a change is seen after the cache. */
describe(`${SettingsReader.name} (PostgreSQL)`, () => {
  let db: TestDatabase;
  let ds: DataSource;
  let now: number;
  let sut: SettingsReader;

  const set = (key: string, value: boolean | number | string) =>
    ds.getRepository(SettingEntity).upsert({ key, value, updatedAt: new Date(), updatedBy: 'test' }, ['key']);

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = await openMigratedDataSource(db.url);
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });
  beforeEach(async () => {
    await ds.query(`DELETE FROM "settings"`);
    now = 0;
    sut = new SettingsReader(ds, 1000, () => now);
  });

  it('answers defaults from an empty table', async () => {
    expect(await sut.get('schedule.missed_runs')).toBe('run-once');
    expect(await sut.get('schedule.catch_up_limit')).toBe(86_400_000);
  });

  it('reads booleans, numbers and strings back from jsonb', async () => {
    await set('update.automatic', false);
    await set('backup.keep_last', 12);
    await set('update.evaluation_interval', '5s');
    await set('schedule.missed_runs', 'skip');

    expect(await sut.get('update.automatic')).toBe(false);
    expect(await sut.get('backup.keep_last')).toBe(12);
    expect(await sut.get('update.evaluation_interval')).toBe(5_000);
    expect(await sut.get('schedule.missed_runs')).toBe('skip');
  });

  it('sees a set and a reset once its cache lapses, without a new reader', async () => {
    expect(await sut.get('update.approval_requests')).toBe(true);

    await set('update.approval_requests', false);
    now += 1000;
    const afterSet = await sut.get('update.approval_requests');
    await ds.getRepository(SettingEntity).delete({ key: 'update.approval_requests' });
    now += 1000;
    const afterReset = await sut.get('update.approval_requests');

    expect(afterSet).toBe(false);
    expect(afterReset).toBe(true);
  });

  it('ignores a row of a key it does not know (a newer version wrote it)', async () => {
    await set('update.something_new', true);

    expect(await sut.get('update.automatic')).toBe(true);
  });
});
