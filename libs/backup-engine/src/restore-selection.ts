import { isAbsolute, join, normalize, resolve } from 'node:path';
import { BackupEngineError, BackupErrorCode, UnsafePathError } from './errors';
import type { BackupManifest, ContentEntry, TreeEntry } from './manifest';
import { checkEntries } from './restore-paths';
import { isInsideDir, isUnder, validatePrefix } from './source-roots';

/** The part of a backup one restore writes. */
export interface SelectedTree {
  /** Backup path that becomes the restore target (undefined: the whole backup). */
  select?: string;
  /** Entries to write, paths relative to the target (re-rooted below `select`). */
  entries: TreeEntry[];
  /** The same entries' content as recorded in the manifest (original paths), for verification. */
  content: ContentEntry[];
  /** Mode of the directory entry `select` names, applied to the target itself. */
  rootMode?: number;
  /** Owner recorded for that directory entry (absent in older backups). */
  rootOwner?: { uid?: number; gid?: number };
}

/** A root of a multi-root backup and the directory it goes back to. */
export interface RootRestorePlan {
  /** Backup path restored (a root prefix, or a part below one). */
  prefix: string;
  /** Absolute directory it came from. */
  target: string;
  tree: SelectedTree;
}

const isContent = (e: TreeEntry): e is ContentEntry => e.type === 'file' || e.type === 'database';

/**
 * The entries below `select` (all entries when undefined), re-rooted so that `select`
 * itself becomes the target. Paths are checked twice: as recorded (a damaged manifest) and
 * re-rooted (links that would point outside the selection).
 */
export function selectTree(manifest: BackupManifest, select?: string): SelectedTree {
  if (select === undefined) {
    checkEntries(manifest.entries);
    return { entries: manifest.entries, content: manifest.entries.filter(isContent) };
  }
  validatePrefix(select, 'restore selection');
  const exact = manifest.entries.find((e) => e.path === select);
  if (exact && exact.type !== 'dir') {
    throw new BackupEngineError(
      BackupErrorCode.InvalidRequest,
      `restore selection ${JSON.stringify(select)} in backup ${manifest.id} is a ${exact.type}, not a directory: select the directory that holds it.`,
    );
  }
  const below = manifest.entries.filter((e) => e.path.startsWith(`${select}/`));
  if (!exact && below.length === 0) {
    throw new BackupEngineError(
      BackupErrorCode.NotFound,
      `backup ${manifest.id} holds nothing under ${JSON.stringify(select)} (it holds: ${topLevel(manifest).join(', ') || 'nothing'}). Choose one of those, or a path below one.`,
    );
  }
  checkEntries(below);
  const entries = below.map((e) => ({ ...e, path: e.path.slice(select.length + 1) }));
  checkEntries(entries);
  return {
    select,
    entries,
    content: below.filter(isContent),
    ...(exact && { rootMode: exact.mode, rootOwner: { uid: exact.uid, gid: exact.gid } }),
  };
}

/**
 * Every root of a multi-root backup matching `select`, with the directory it came from:
 * `config` matches the roots `config/app` and `config/other`; `config/app/sub` restores only
 * that part of `config/app`, into `<its dir>/sub`.
 */
export function planRootRestores(
  manifest: BackupManifest,
  select?: string,
  allowedDirs?: readonly string[],
): RootRestorePlan[] {
  const roots = manifest.roots;
  if (!roots || Object.keys(roots).length === 0) {
    throw new BackupEngineError(
      BackupErrorCode.InvalidRequest,
      `backup ${manifest.id} does not record where its directories came from (it was taken from a single source directory or holds only databases): restore it into a directory with --to <dir>.`,
    );
  }
  for (const [prefix, dir] of Object.entries(roots)) {
    validatePrefix(prefix, `root prefix in backup ${manifest.id}`);
    if (!isAbsolute(dir) || normalize(dir) !== dir || dir === '/' || dir.includes('\0'))
      throw new UnsafePathError(dir, `root ${JSON.stringify(prefix)} has no plain absolute directory`);
  }
  if (select !== undefined) validatePrefix(select, 'restore selection');
  const plans: RootRestorePlan[] = [];
  for (const [prefix, dir] of Object.entries(roots).sort(([a], [b]) => a.localeCompare(b))) {
    if (select === undefined || isUnder(prefix, select))
      plans.push({ prefix, target: dir, tree: selectTree(manifest, prefix) });
    else if (isUnder(select, prefix))
      plans.push({
        prefix: select,
        target: join(dir, ...select.slice(prefix.length + 1).split('/')),
        tree: selectTree(manifest, select),
      });
  }
  if (allowedDirs !== undefined) {
    const allowed = new Set(allowedDirs.map((d) => resolve(d))); // as backups record them
    for (const plan of plans) {
      const root = Object.entries(roots).find(([prefix]) => isUnder(plan.prefix, prefix))!;
      if (!allowed.has(root[1])) {
        throw new UnsafePathError(
          root[1],
          `root ${root[0]} of backup ${manifest.id} goes back to a directory this host's settings do not back up`,
          `Restore it somewhere else with --to <dir>, or add ${root[1]} to the backup paths (BACKUP_CONFIG_PATHS, BACKUP_DATA_PATHS) if it is meant to be put back there.`,
        );
      }
    }
  }
  if (plans.length === 0) {
    throw new BackupEngineError(
      BackupErrorCode.NotFound,
      `backup ${manifest.id} has no root under ${JSON.stringify(select)}; its roots are ${Object.keys(roots).sort().join(', ')}. Select one of them or a part such as ${JSON.stringify(Object.keys(roots)[0].split('/')[0])}.`,
    );
  }
  for (let i = 0; i < plans.length; i++) {
    for (let j = i + 1; j < plans.length; j++) {
      if (isInsideDir(plans[i].target, plans[j].target) || isInsideDir(plans[j].target, plans[i].target)) {
        throw new UnsafePathError(
          plans[j].target,
          `roots ${plans[i].prefix} and ${plans[j].prefix} go back to overlapping directories (${plans[i].target}, ${plans[j].target})`,
          'Restore them one at a time into directories with --to.',
        );
      }
    }
  }
  return plans;
}

/** First path segments of a manifest's entries, for "it holds: ..." messages. */
function topLevel(manifest: BackupManifest): string[] {
  return [...new Set(manifest.entries.map((e) => e.path.split('/')[0]))].sort();
}
