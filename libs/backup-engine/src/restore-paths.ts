import { join, posix } from 'node:path';
import { UnsafePathError } from './errors';
import type { TreeEntry } from './manifest';

/** Checks that a manifest path is relative, normalized and free of `..`; returns it joined to root. */
export function safeJoin(root: string, relPath: string): string {
  if (!relPath || relPath.includes('\0')) throw new UnsafePathError(relPath, 'empty path or NUL byte');
  if (relPath.startsWith('/') || /^[a-zA-Z]:/.test(relPath) || relPath.includes('\\')) throw new UnsafePathError(relPath, 'absolute path');
  const parts = relPath.split('/');
  if (parts.some((p) => p === '..' || p === '.' || p === '')) throw new UnsafePathError(relPath, 'path with "..", "." or empty segments');
  return join(root, ...parts);
}

/** Checks that a symlink's target, read from the link's directory, stays inside the root; `hint` replaces the error's advice. */
export function checkSymlinkTarget(linkPath: string, target: string, hint?: string): void {
  if (!target || target.startsWith('/')) throw new UnsafePathError(linkPath, `symlink to absolute target ${JSON.stringify(target)}`, hint);
  const resolved = posix.normalize(posix.join(posix.dirname(linkPath), target));
  if (resolved === '..' || resolved.startsWith('../')) throw new UnsafePathError(linkPath, `symlink target ${JSON.stringify(target)} escapes the restore target`, hint);
}

/**
 * Validates every entry of a manifest before anything is written: paths, symlink targets,
 * and entries that would be written through a symlink. `hint` replaces the advice of a
 * symlink refusal (e.g. for a selective restore, where the link may be fine in the whole tree).
 */
export function checkEntries(entries: TreeEntry[], hint?: string): void {
  const links = new Set<string>();
  for (const e of entries) {
    safeJoin('/', e.path);
    if (e.type === 'symlink') {
      checkSymlinkTarget(e.path, e.target, hint);
      links.add(e.path);
    }
  }
  for (const e of entries) {
    const parts = e.path.split('/');
    for (let i = 1; i < parts.length; i++) {
      if (links.has(parts.slice(0, i).join('/'))) throw new UnsafePathError(e.path, 'entry below a symlink');
    }
  }
}
