import type { DataSource } from 'typeorm';
import { fixedSettings, SettingsReader } from './settings-reader';

describe(SettingsReader.name, () => {
  let rows: Array<{ key: string; value: unknown }>;
  let now: number;
  let query: jest.Mock;
  let sut: SettingsReader;

  beforeEach(() => {
    rows = [];
    now = 1_000_000;
    query = jest.fn(async () => rows.map((r) => ({ ...r })));
    sut = new SettingsReader({ query } as unknown as DataSource, 1000, () => now);
  });

  it('answers the registry default when nothing is set, and durations in milliseconds', async () => {
    expect(await sut.get('update.automatic')).toBe(true);
    expect(await sut.get('update.evaluation_interval')).toBe(30_000);
    expect(await sut.override('update.evaluation_interval')).toBeUndefined();
  });

  it('answers a stored value', async () => {
    rows = [
      { key: 'update.automatic', value: false },
      { key: 'schedule.catch_up_limit', value: '2h' },
    ];

    expect(await sut.get('update.automatic')).toBe(false);
    expect(await sut.override('schedule.catch_up_limit')).toBe(7_200_000);
  });

  it('reads the table once per second, then sees a change', async () => {
    await sut.get('update.automatic');
    rows = [{ key: 'update.automatic', value: false }];

    now += 999;
    const cached = await sut.get('update.automatic');
    now += 1;
    const fresh = await sut.get('update.automatic');

    expect(cached).toBe(true);
    expect(fresh).toBe(false);
    expect(query).toHaveBeenCalledTimes(2);
  });

  it('shares one read between readers asking at once', async () => {
    await Promise.all([sut.get('update.automatic'), sut.get('backup.keep_last'), sut.get('schedule.missed_runs')]);

    expect(query).toHaveBeenCalledTimes(1);
  });

  it.each([
    ['an out-of-bounds value', { key: 'update.evaluation_interval', value: '2d' }],
    ['a value of the wrong type', { key: 'update.automatic', value: 'maybe' }],
  ])('ignores %s stored, answering the default', async (_, row) => {
    rows = [row];

    expect(await sut.override(row.key as 'update.automatic')).toBeUndefined();
  });

  it('keeps the last values read while PostgreSQL cannot be read', async () => {
    rows = [{ key: 'backup.keep_last', value: 5 }];
    await sut.get('backup.keep_last');
    query.mockRejectedValue(new Error('connection refused'));

    now += 5_000;
    const sut2 = await sut.get('backup.keep_last');

    expect(sut2).toBe(5);
  });

  it('never caches longer than a second', async () => {
    const reader = new SettingsReader({ query } as unknown as DataSource, 60_000, () => now);
    await reader.get('update.automatic');

    now += 1000;
    await reader.get('update.automatic');

    expect(query).toHaveBeenCalledTimes(2);
  });
});

describe(fixedSettings.name, () => {
  it('answers the given values and defaults for the rest', async () => {
    const sut = fixedSettings({ 'notification.attempt_timeout': 250 });

    expect(await sut.get('notification.attempt_timeout')).toBe(250);
    expect(await sut.override('backup.keep_last')).toBeUndefined();
    expect(await sut.get('schedule.missed_runs')).toBe('run-once');
  });
});
