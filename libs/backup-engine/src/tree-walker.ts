import type { Stats } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';

/** One filesystem object found under the root, path relative and slash-separated. */
export type WalkedEntry =
  | {
      type: 'file';
      path: string;
      absPath: string;
      mode: number;
      size: number;
      mtimeMs: number;
      ctimeMs: number;
      ino: number;
      uid: number;
      gid: number;
    }
  | { type: 'dir'; path: string; mode: number; uid: number; gid: number }
  | { type: 'symlink'; path: string; target: string };

/** Turns a glob (`*`, `?`, `**`) into a regular expression over slash-separated paths. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
      if (glob[i + 1] === '/') i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * Decides exclusion: a pattern with a slash matches the whole relative path, one without
 * matches any single name (like `.gitignore`). An excluded directory is not descended.
 */
export function makeExcluder(patterns: string[]): (relPath: string) => boolean {
  const compiled = patterns.map((p) => ({ anchored: p.includes('/'), re: globToRegExp(p.replace(/^\/+|\/+$/g, '')) }));
  return (relPath) => {
    const base = relPath.slice(relPath.lastIndexOf('/') + 1);
    return compiled.some(({ anchored, re }) => re.test(anchored ? relPath : base));
  };
}

/** Walks a tree depth-first in name order without following symlinks; sockets and devices are skipped. */
export async function* walkTree(root: string, excludes: string[] = []): AsyncGenerator<WalkedEntry> {
  const excluded = makeExcluder(excludes);
  async function* walk(dir: string, rel: string): AsyncGenerator<WalkedEntry> {
    const names = (await readdir(dir)).sort().filter((name) => !excluded(rel ? `${rel}/${name}` : name));
    // lstat a directory's entries a batch at a time: one thread-pool round trip after another costs more than the calls
    const stats: Promise<Stats>[] = [];
    const LSTAT_BATCH = 64;
    const statFrom = (i: number) => {
      for (let j = i; j < Math.min(names.length, i + LSTAT_BATCH); j++) stats[j] = lstat(join(dir, names[j]));
      for (let j = i; j < Math.min(names.length, i + LSTAT_BATCH); j++) stats[j].catch(() => undefined);
    };
    for (const [i, name] of names.entries()) {
      if (i % LSTAT_BATCH === 0) statFrom(i);
      const relPath = rel ? `${rel}/${name}` : name;
      const absPath = join(dir, name);
      const st = await stats[i];
      if (st.isSymbolicLink()) yield { type: 'symlink', path: relPath, target: await readlink(absPath) };
      else if (st.isDirectory()) {
        yield { type: 'dir', path: relPath, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
        yield* walk(absPath, relPath);
      } else if (st.isFile())
        yield {
          type: 'file',
          path: relPath,
          absPath,
          mode: st.mode & 0o7777,
          size: st.size,
          mtimeMs: st.mtimeMs,
          ctimeMs: st.ctimeMs,
          ino: st.ino,
          uid: st.uid,
          gid: st.gid,
        };
    }
  }
  yield* walk(root, '');
}
