import { NothingToBackUpError, planBackup, type BackupTargets } from './backup-targets';

const targets: BackupTargets = {
  config: ['/etc/shop'],
  data: ['/srv/shop/data', '/mnt/other/data'],
  logs: ['/var/log/shop'],
  databases: ['postgres://app@db:5432/shop'],
  excludes: ['*.tmp'],
};

describe('planBackup', () => {
  it.each([
    ['full', {}, ['config/shop', 'data/data', 'data/data-2'], ['shop']],
    ['full', { includeLogs: true }, ['config/shop', 'data/data', 'data/data-2', 'logs/shop'], ['shop']],
    ['database', {}, [], ['shop']],
    ['config', {}, ['config/shop'], []],
    ['data_only', {}, ['data/data', 'data/data-2'], []],
  ] as const)('a %s backup %j takes roots %j and databases %j', (type, options, prefixes, databases) => {
    const plan = planBackup(type, targets, options);

    expect(plan.sources.map((s) => s.prefix)).toEqual(prefixes);
    expect(plan.sources.every((s) => s.excludes.includes('*.tmp'))).toBe(true);
    expect(plan.streams.map((s) => s.database)).toEqual(databases);
  });

  it('names the settings to set when a type selects nothing on this host', () => {
    const empty: BackupTargets = { config: [], data: [], logs: [], databases: [], excludes: [] };

    expect(() => planBackup('database', empty)).toThrow(
      new NothingToBackUpError(
        'a database backup has nothing to back up here: set BACKUP_DATABASE_URLS, or choose another --type',
      ),
    );
    expect(() => planBackup('full', empty)).toThrow(
      /set BACKUP_CONFIG_PATHS or BACKUP_DATA_PATHS or BACKUP_DATABASE_URLS$/,
    );
  });
});
