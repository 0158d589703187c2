import {
  BACKUP_LIST_MAX,
  BackupName,
  BackupSinceValues,
  BackupSortValues,
  BackupStatuses,
  BackupTypes,
  DatabaseRestoreModes,
  RestoreParts,
  type BackupStatus,
  type BackupType,
  type DatabaseRestoreMode,
  type RestorePart,
} from '@lockstep/contracts';
import { UsageError } from '../errors';

/** Near-misses operators type, and what they meant. */
const MEANT: Record<string, string> = { data: 'data_only', db: 'database', databases: 'database', all: 'full' };

/** A parser for an option that takes one of `values`; the message lists them. */
function oneOf<T extends string>(flag: string, values: readonly T[], meant: Record<string, string> = {}) {
  return (value: string): T => {
    if ((values as readonly string[]).includes(value)) return value as T;
    const hint =
      meant[value] && (values as readonly string[]).includes(meant[value]) ? `; did you mean ${meant[value]}?` : '';
    throw new UsageError(`${flag} must be one of ${values.join(', ')} (got "${value}")${hint}`);
  };
}

/** `--type`: full, database, config or data_only. */
export const parseBackupType: (value: string) => BackupType = oneOf('--type', BackupTypes, MEANT);
/** `--status`: a catalogue status. */
export const parseBackupStatus: (value: string) => BackupStatus = oneOf('--status', BackupStatuses);
/** `--since`: 7d, 30d, 90d or all. */
export const parseSince = oneOf('--since', BackupSinceValues);
/** `--sort`: date, size, name or type. */
export const parseSort = oneOf('--sort', BackupSortValues);
/** `--what`: all, database, config or data. */
export const parseRestorePart: (value: string) => RestorePart = oneOf('--what', RestoreParts, {
  data_only: 'data',
  db: 'database',
  full: 'all',
});
/** `--database-mode`: new or replace. */
export const parseDatabaseMode = oneOf('--database-mode', DatabaseRestoreModes);

/** `--limit` of `backup list`: a whole number 1..50. */
export function parseBackupLimit(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > BACKUP_LIST_MAX)
    throw new UsageError(`--limit must be a whole number from 1 to ${BACKUP_LIST_MAX} (got "${value}")`);
  return n;
}

/** A backup id (argument) or `--name`: letters, digits, `.`, `_`, `-`, starting with a letter or digit. */
export function checkBackupName(value: string, what = 'backup id'): string {
  if (!BackupName.safeParse(value).success)
    throw new UsageError(
      `"${value}" is not a valid ${what}: backup names are letters, digits, ".", "_" and "-" (at most 128), starting with a letter or digit (see lockstep backup list)`,
    );
  return value;
}

/** `--to`: an absolute directory. */
export function parseRestoreTarget(value: string): string {
  if (!value.startsWith('/'))
    throw new UsageError(`--to must be an absolute directory, starting with / (got "${value}")`);
  return value;
}

/** An operation id: the UUID a queued operation was given. */
export function checkOperationId(value: string): string {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value))
    throw new UsageError(
      `"${value}" is not a backup operation id (a UUID, as \`lockstep backup create|verify|restore|prune --no-wait\` prints)`,
    );
  return value;
}

/** The restore flags, checked together. */
export interface RestoreFlags {
  what: RestorePart;
  to?: string;
  databaseMode?: DatabaseRestoreMode;
  keepSpecialBits?: boolean;
  confirm?: boolean;
}

/** What a restore would overwrite (or create), from the flags alone: the CLI does not know the backup's parts yet. */
export function restoreWarning(id: string, f: Pick<RestoreFlags, 'what' | 'to' | 'databaseMode'>): string {
  const files = f.to ? `into ${f.to}, which must be empty or not exist` : 'at their original places';
  const verb = f.to ? 'writes' : 'overwrites';
  const database =
    f.databaseMode === 'new'
      ? 'creates a new database <name>_restored_<time> (the original is left alone)'
      : 'overwrites the database in place (--database-mode new restores into a new database instead)';
  switch (f.what) {
    case 'all':
      return `restoring all of backup ${id} ${verb} the config and data files it holds ${files}, and ${database}`;
    case 'database':
      return `restoring the database of backup ${id} ${database}`;
    default:
      return `restoring the ${f.what} files of backup ${id} ${verb} them ${files}`;
  }
}

/** Refuses restore flags that cannot work, before anything is sent. */
export function checkRestoreFlags(id: string, f: RestoreFlags): void {
  if (f.databaseMode && f.what !== 'all' && f.what !== 'database')
    throw new UsageError(`--database-mode applies to --what all or database, not ${f.what}`);
  if (!f.confirm)
    throw new UsageError(
      `refusing to restore without --confirm: ${restoreWarning(id, f)}. Check the backup with \`lockstep backup show ${id}\`, then run again with --confirm`,
    );
}
