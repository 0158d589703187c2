import { join } from 'node:path';
import { UnsafePathError } from './errors';
import type { TreeEntry } from './manifest';

/** Checks that a manifest path is relative, normalized and free of `..`; returns it joined to root. */
export function safeJoin(root: string, relPath: string): string {
  if (!relPath || relPath.includes('\0')) throw new UnsafePathError(relPath, 'empty path or NUL byte');
  if (relPath.startsWith('/') || /^[a-zA-Z]:/.test(relPath) || relPath.includes('\\'))
    throw new UnsafePathError(relPath, 'absolute path');
  const parts = relPath.split('/');
  if (parts.some((p) => p === '..' || p === '.' || p === ''))
    throw new UnsafePathError(relPath, 'path with "..", "." or empty segments');
  return join(root, ...parts);
}

/**
 * Validates every entry of a manifest before anything is written: paths (relative,
 * normalized, no `..`) and entries that would be written through a symlink. A symlink's
 * target is data, like tar and restic keep it: it is recreated as recorded (also when it is
 * absolute or points outside the restored tree) and never followed — links are created
 * after every file and directory, files are opened with O_EXCL, and no entry may lie below
 * a link — so a restore cannot write outside its target whatever the links say. Refusing
 * such links would make every backup of a directory that holds one unrestorable.
 */
export function checkEntries(entries: TreeEntry[]): void {
  const links = new Set<string>();
  for (const e of entries) {
    safeJoin('/', e.path);
    if (e.type === 'symlink') {
      if (!e.target || e.target.includes('\0'))
        throw new UnsafePathError(e.path, 'symlink with an empty target or a NUL byte');
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
