import { fixedSettings } from '@lockstep/persistence';
import type { BackupServiceConfig } from '../backup.config';
import { retainsSelectively, retentionPolicy } from './retention-policy';

const config = (keepLast: number) =>
  ({
    BACKUP_KEEP_LAST: keepLast,
    BACKUP_MAX_AGE: undefined,
    BACKUP_KEEP_DAILY: 0,
    BACKUP_KEEP_WEEKLY: 0,
    BACKUP_KEEP_MONTHLY: 0,
  }) as BackupServiceConfig;

describe(retentionPolicy.name, () => {
  it.each([
    ['BACKUP_KEEP_LAST while backup.keep_last is not set', 5, undefined, 5, true],
    ['backup.keep_last over BACKUP_KEEP_LAST', 5, 9, 9, true],
    ['no count limit for backup.keep_last 0', 5, 0, undefined, false],
    ['no limit at all', 0, undefined, undefined, false],
  ])('takes %s', async (_, env, setting, keepLast, prunes) => {
    const settings = fixedSettings(setting === undefined ? {} : { 'backup.keep_last': setting });

    const sut = await retentionPolicy(config(env), settings);

    expect(sut.keepLast).toBe(keepLast);
    expect(retainsSelectively(sut)).toBe(prunes);
  });
});
