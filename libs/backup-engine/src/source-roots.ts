import { stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { BackupEngineError, BackupErrorCode } from './errors';
import { walkTree } from './tree-walker';

/** One directory of a multi-root backup, stored under `prefix`. */
export interface BackupSourceRoot {
  /** Slash-separated place of the root inside the backup, e.g. `config/app`; no leading `/`, `..`, `.` or empty segments. */
  prefix: string;
  /** Directory whose contents are backed up; recorded (resolved to an absolute path) in the manifest's `roots`. */
  dir: string;
  /** Glob patterns left out of this root only (the request's `excludes` apply to every root as well). */
  excludes?: string[];
  /** Name of the setting this root came from (e.g. `BACKUP_CONFIG_PATHS`), named in error messages. */
  setting?: string;
}

/** A root ready to walk: `prefix` is empty for the single-`source` form. */
export interface ResolvedRoot {
  prefix: string;
  dir: string;
  excludes: string[];
  /** Permission bits of the root directory. */
  mode: number;
  /** Owner of the root directory. */
  uid?: number;
  gid?: number;
}

const invalid = (message: string): BackupEngineError => new BackupEngineError(BackupErrorCode.InvalidRequest, message);

/**
 * Checks a backup-internal prefix (`config/app`) and returns it unchanged, or throws
 * BackupEngineError(InvalidRequest) naming `what` (e.g. `backup root prefix`).
 */
export function validatePrefix(prefix: string, what: string): string {
  const reason = !prefix
    ? 'it is empty'
    : prefix.startsWith('/')
      ? 'it starts with "/"'
      : // eslint-disable-next-line no-control-regex -- control characters are what it looks for
        /[\\\0-\x1f]/.test(prefix)
        ? 'it holds a backslash or a control character'
        : prefix.split('/').some((s) => s === '')
          ? 'it has an empty segment ("//" or a trailing "/")'
          : prefix.split('/').some((s) => s === '..' || s === '.')
            ? 'it has a "." or ".." segment'
            : undefined;
  if (reason)
    throw invalid(
      `${what} ${JSON.stringify(prefix)} is invalid: ${reason}. Use slash-separated names like "config/app".`,
    );
  return prefix;
}

/** True when `path` is `prefix` itself or lies below it (both slash-separated, relative). */
export function isUnder(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}/`);
}

/** True when absolute directory `inner` is `outer` or lies inside it. */
export function isInsideDir(inner: string, outer: string): boolean {
  const rel = relative(outer, inner);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

function settingHint(root: BackupSourceRoot): string {
  return root.setting ? `the ${root.setting} setting` : "the backup's source roots";
}

/**
 * Validates the directories of a request and stats each one: prefixes well-formed and not
 * nested in each other, directories existing, and no directory inside another (its files
 * would be stored twice and could not both be put back).
 */
export async function resolveRoots(
  source: string | undefined,
  sources: BackupSourceRoot[] | undefined,
  excludes: string[] = [],
): Promise<ResolvedRoot[]> {
  if (source !== undefined && sources?.length)
    throw invalid(
      'a backup takes either `source` (one directory as the whole tree) or `sources` (directories under prefixes), not both: move the source into `sources` with a prefix.',
    );
  const wanted: BackupSourceRoot[] = source !== undefined ? [{ prefix: '', dir: source }] : (sources ?? []);
  for (const root of wanted) if (source === undefined) validatePrefix(root.prefix, 'backup root prefix');
  for (let i = 0; i < wanted.length; i++) {
    for (let j = i + 1; j < wanted.length; j++) {
      const [a, b] = [wanted[i].prefix, wanted[j].prefix];
      if (isUnder(a, b) || isUnder(b, a))
        throw invalid(
          `backup roots ${JSON.stringify(a)} and ${JSON.stringify(b)} overlap: one prefix is the other or lies inside it. Give each root its own prefix, e.g. "config/app" and "config/other".`,
        );
    }
  }
  const out: ResolvedRoot[] = [];
  for (const root of wanted) {
    const dir = resolve(root.dir);
    const label = root.prefix
      ? `backup root ${JSON.stringify(root.prefix)}: directory ${dir}`
      : `backup source directory ${dir}`;
    const st = await stat(dir).catch((err: NodeJS.ErrnoException) => {
      const what = err.code === 'ENOENT' ? 'does not exist' : `cannot be read (${err.code ?? err.message})`;
      throw new BackupEngineError(
        BackupErrorCode.SourceMissing,
        `${label} ${what}. Create it, or remove it from ${settingHint(root)}.`,
        { cause: err },
      );
    });
    if (!st.isDirectory())
      throw new BackupEngineError(
        BackupErrorCode.SourceMissing,
        `${label} is not a directory. Name a directory in ${settingHint(root)}.`,
      );
    const clash = out.find((o) => isInsideDir(dir, o.dir) || isInsideDir(o.dir, dir));
    if (clash) {
      throw invalid(
        `backup roots ${JSON.stringify(clash.prefix)} (${clash.dir}) and ${JSON.stringify(root.prefix)} (${dir}) overlap: one directory lies inside the other, so its files would be stored twice. Remove the inner directory from ${settingHint(root)}, or exclude it from the outer root.`,
      );
    }
    out.push({
      prefix: root.prefix,
      dir,
      excludes: [...excludes, ...(root.excludes ?? [])],
      mode: st.mode & 0o7777,
      uid: st.uid,
      gid: st.gid,
    });
  }
  return out;
}

/** The stat pass: total bytes of the files the backup will read (no file is opened). */
export async function sumFileBytes(
  roots: ResolvedRoot[],
  signal?: AbortSignal,
  onAbort?: () => Error,
): Promise<number> {
  let total = 0;
  for (const root of roots) {
    for await (const e of walkTree(root.dir, root.excludes)) {
      if (signal?.aborted && onAbort) throw onAbort();
      if (e.type === 'file') total += e.size;
    }
  }
  return total;
}
