import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A sha256 of an unpacked release's tree: every entry's path and kind, in name order, with a
 * file's executable bit, size and content and a symlink's target. Two trees hash alike only
 * when the agent would run the same thing from both, so a tree a kill left half-deleted (or
 * anything that changed it since it was unpacked) no longer matches the hash stored then.
 */
export async function releaseTreeHash(dir: string): Promise<string> {
  const hash = createHash('sha256').update('lockstep-release-tree/v1\0');
  await hashDirectory(hash, dir, '');
  return hash.digest('hex');
}

async function hashDirectory(hash: Hash, root: string, rel: string): Promise<void> {
  const names = (await readdir(join(root, rel))).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  for (const name of names) {
    const path = rel ? `${rel}/${name}` : name;
    const full = join(root, path);
    const info = await lstat(full);
    if (info.isSymbolicLink()) hash.update(`l\0${path}\0${await readlink(full)}\0`);
    else if (info.isDirectory()) {
      hash.update(`d\0${path}\0`);
      await hashDirectory(hash, root, path);
    } else if (info.isFile()) {
      hash.update(`f\0${path}\0${info.mode & 0o111 ? 'x' : '-'}\0${info.size}\0`);
      for await (const chunk of createReadStream(full)) hash.update(chunk as Buffer);
    } else hash.update(`o\0${path}\0`);
  }
}
