import { BackupPartsOfType, BackupTypes, backupPartsOf, RestoreParts, type BackupType } from './backups';

describe(backupPartsOf.name, () => {
  it.each([
    ['full', ['database', 'config', 'data']],
    ['database', ['database']],
    ['config', ['config']],
    ['data_only', ['data']],
  ] as const)('a %s backup holds %j', (type, parts) => {
    const sut = backupPartsOf(type);

    expect(sut).toEqual(parts);
  });

  it('names a part for every backup type, and only parts a restore can ask for', () => {
    const restorable: readonly string[] = RestoreParts;

    expect(Object.keys(BackupPartsOfType).sort()).toEqual([...BackupTypes].sort());
    for (const type of BackupTypes) expect(backupPartsOf(type).every((p) => restorable.includes(p))).toBe(true);
  });

  it('holds nothing for a type this version does not know', () => {
    const sut = backupPartsOf('snapshot' as BackupType);

    expect(sut).toEqual([]);
  });
});
