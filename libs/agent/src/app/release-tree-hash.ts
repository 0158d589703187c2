import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * What an unpacked release's tree held: each entry's path and a descriptor of what it is — a
 * file's executable bit, size and content digest (`f:x:<size>:<sha256>`), a symlink's target
 * (`l:<target>`), a directory (`d`). Recorded when the release is unpacked; a kept release is
 * reused only while every recorded entry is still the same (see treeStillHolds).
 */
export type ReleaseTree = Record<string, string>;

/** Walks `dir` and describes every entry, in name order. */
export async function releaseTree(dir: string): Promise<ReleaseTree> {
  const tree: ReleaseTree = {};
  await walk(dir, '', tree);
  return tree;
}

/** A digest of a recorded tree, kept with the release's record so a swapped tree file is noticed. */
export function releaseTreeDigest(tree: ReleaseTree): string {
  const hash = createHash('sha256').update('lockstep-release-tree/v2\0');
  for (const path of Object.keys(tree).sort()) hash.update(`${path}\0${tree[path]}\0`);
  return hash.digest('hex');
}

/**
 * True while every entry of `tree` is still in `dir` as recorded. Entries added since (logs,
 * caches, anything an app or its migrate hook writes into its release directory) do not count:
 * they do not change what the release runs. A tree a kill left half-deleted, or an archive file
 * changed since, does.
 */
export async function treeStillHolds(dir: string, tree: ReleaseTree): Promise<boolean> {
  for (const [path, recorded] of Object.entries(tree)) {
    const now = await describe(join(dir, path)).catch(() => undefined);
    if (now !== recorded) return false;
  }
  return true;
}

async function walk(root: string, rel: string, into: ReleaseTree): Promise<void> {
  const names = (await readdir(join(root, rel))).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  for (const name of names) {
    const path = rel ? `${rel}/${name}` : name;
    const descriptor = await describe(join(root, path));
    into[path] = descriptor;
    if (descriptor === 'd') await walk(root, path, into);
  }
}

async function describe(full: string): Promise<string> {
  const info = await lstat(full);
  if (info.isSymbolicLink()) return `l:${await readlink(full)}`;
  if (info.isDirectory()) return 'd';
  if (!info.isFile()) return 'o';
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(full)) hash.update(chunk as Buffer);
  return `f:${info.mode & 0o111 ? 'x' : '-'}:${info.size}:${hash.digest('hex')}`;
}
