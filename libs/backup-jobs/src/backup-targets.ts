import { basename } from 'node:path';
import { pgDumpSource, type StreamSource } from '@lockstep/backup-engine';
import { backupPartsOf, CodedError, type BackupType } from '@lockstep/contracts';
import { BackupJobErrorCode } from './errors';

/** What one host (a node, or the backup service) backs up. */
export interface BackupTargets {
  config: string[];
  data: string[];
  logs: string[];
  databases: string[];
  excludes: string[];
}

/** One directory root of a backup, stored under `prefix`. */
export interface BackupRoot {
  prefix: string;
  dir: string;
  excludes: string[];
  /** Setting that names the directory (in errors about it). */
  setting: string;
}

/** The parts of a backup a type selects, as engine inputs. */
export interface BackupPlan {
  sources: BackupRoot[];
  streams: StreamSource[];
  /** Human summary, e.g. `config: /etc/app; database: app`. */
  summary: string;
}

/** A backup type selects nothing on this host. */
export class NothingToBackUpError extends CodedError<typeof BackupJobErrorCode.NothingSelected> {
  override name = 'NothingToBackUpError';
  constructor(message: string) {
    super(BackupJobErrorCode.NothingSelected, message);
  }
}

const SETTING_OF = {
  config: 'BACKUP_CONFIG_PATHS',
  data: 'BACKUP_DATA_PATHS',
  logs: 'BACKUP_LOG_PATHS',
  database: 'BACKUP_DATABASE_URLS',
} as const;

/** `config/app`, `config/app-2` when two roots share a base name. */
function prefixes(part: 'config' | 'data' | 'logs', dirs: string[]): BackupRoot[] {
  const seen = new Map<string, number>();
  return dirs.map((dir) => {
    const base = basename(dir).replace(/[^A-Za-z0-9._-]/g, '_') || 'root';
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return { prefix: `${part}/${n === 1 ? base : `${base}-${n}`}`, dir, excludes: [], setting: SETTING_OF[part] };
  });
}

/** Chooses the roots and database dumps a backup of `type` takes from `targets`. */
export function planBackup(
  type: BackupType,
  targets: BackupTargets,
  options: { includeLogs?: boolean } = {},
): BackupPlan {
  const held = backupPartsOf(type);
  const want = { parts: held.filter((p) => p !== 'database'), databases: held.includes('database') };
  const sources: BackupRoot[] = [];
  for (const part of want.parts) sources.push(...prefixes(part, targets[part]));
  if (options.includeLogs) sources.push(...prefixes('logs', targets.logs));
  for (const s of sources) s.excludes = targets.excludes;
  const streams = want.databases ? targets.databases.map((url) => pgDumpSource({ url })) : [];
  if (sources.length === 0 && streams.length === 0) {
    const needed = [...want.parts.map((p) => SETTING_OF[p]), ...(want.databases ? [SETTING_OF.database] : [])];
    throw new NothingToBackUpError(
      `a ${type} backup has nothing to back up here: set ${needed.join(' or ')}${type === 'full' ? '' : ', or choose another --type'}`,
    );
  }
  const summary = [
    ...sources.map((s) => `${s.prefix}: ${s.dir}`),
    ...streams.map((s) => `database: ${s.database}`),
  ].join('; ');
  return { sources, streams, summary };
}
