import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { ObjectStore } from '@lockstep/storage';
import { walkTree } from './tree-walker';

/** path -> type, mode and content hash (or link target), for comparing trees in specs. */
export async function snapshotTree(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const e of walkTree(root)) {
    if (e.type === 'file')
      out[e.path] = `file ${e.mode.toString(8)} ${createHash('sha256')
        .update(await readFile(e.absPath))
        .digest('hex')}`;
    else if (e.type === 'dir') out[e.path] = `dir ${e.mode.toString(8)}`;
    else out[e.path] = `link ${e.target}`;
  }
  return out;
}

/** key -> size of every object in a store, for asserting what a prune deleted. */
export async function storeObjects(store: ObjectStore): Promise<Map<string, number>> {
  return new Map((await store.list('')).map((o) => [o.key, o.size]));
}
