import { createHash, randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, open, rename, rm, symlink, utimes } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { BackupRepository } from './backup-repository';
import { BackupCorruptedError } from './errors';
import type { BackupManifest, DirEntry } from './manifest';
import { PackReader } from './pack-reader';
import { checkEntries, safeJoin } from './restore-paths';
import { BackupVerifier, type VerifyReport } from './backup-verifier';
import type { Compressor } from './zstd.process';

/** What a restore did. */
export interface RestoreResult {
  backupId: string;
  target: string;
  files: number;
  directories: number;
  symlinks: number;
  bytesWritten: number;
  verify: VerifyReport;
}

/**
 * Restores a backup safely: every path is checked first, the backup is verified, the tree
 * is written into a temporary sibling of the target and then renamed into place, so an
 * interrupted restore leaves the old target untouched.
 */
export class BackupRestorer {
  constructor(
    private readonly repository: BackupRepository,
    private readonly compressor: Compressor,
  ) {}

  /** Restores `manifest` into `target` (created or replaced). */
  async restore(manifest: BackupManifest, target: string): Promise<RestoreResult> {
    checkEntries(manifest.entries);
    const verify = await new BackupVerifier(this.repository, this.compressor).verify(manifest);
    if (!verify.ok) throw new BackupCorruptedError(manifest.id, verify.corruptedPacks, verify.problems);

    const finalTarget = resolve(target);
    const parent = dirname(finalTarget);
    await mkdir(parent, { recursive: true });
    const suffix = randomBytes(4).toString('hex');
    const staging = join(parent, `.${basename(finalTarget)}.restore-${suffix}`);
    await mkdir(staging, { mode: 0o700 });
    try {
      const result = await this.writeTree(manifest, staging);
      await this.swap(staging, finalTarget, join(parent, `.${basename(finalTarget)}.old-${suffix}`));
      return { backupId: manifest.id, target: finalTarget, ...result, verify };
    } catch (err) {
      await rm(staging, { recursive: true, force: true });
      throw err;
    }
  }

  private async writeTree(manifest: BackupManifest, root: string): Promise<Omit<RestoreResult, 'backupId' | 'target' | 'verify'>> {
    const reader = new PackReader(this.repository, this.compressor);
    const dirs: DirEntry[] = [];
    let files = 0;
    let symlinks = 0;
    let bytesWritten = 0;
    for (const e of manifest.entries) {
      const dest = safeJoin(root, e.path);
      if (e.type === 'dir') {
        await mkdir(dest, { recursive: true, mode: 0o700 });
        dirs.push(e);
      } else if (e.type === 'file') {
        await mkdir(dirname(dest), { recursive: true, mode: 0o700 });
        const fh = await open(dest, 'wx', 0o600);
        const hash = createHash('sha256');
        try {
          for (const id of e.chunks) {
            const plain = await reader.readChunk(id, manifest.chunks[id]);
            hash.update(plain);
            await fh.write(plain);
            bytesWritten += plain.length;
          }
        } finally {
          await fh.close();
        }
        if (hash.digest('hex') !== e.sha256) throw new BackupCorruptedError(manifest.id, [], [`file ${e.path} does not match its sha256 while restoring`]);
        await chmod(dest, e.mode);
        await utimes(dest, new Date(e.mtimeMs), new Date(e.mtimeMs));
        files++;
      }
    }
    // symlinks last, so nothing is ever written through one
    for (const e of manifest.entries) {
      if (e.type !== 'symlink') continue;
      const dest = safeJoin(root, e.path);
      await mkdir(dirname(dest), { recursive: true, mode: 0o700 });
      await symlink(e.target, dest);
      symlinks++;
    }
    // directory modes last and deepest first, so read-only directories do not block writes
    for (const d of [...dirs].sort((a, b) => b.path.split('/').length - a.path.split('/').length)) await chmod(safeJoin(root, d.path), d.mode);
    return { files, directories: dirs.length, symlinks, bytesWritten };
  }

  private async swap(staging: string, target: string, old: string): Promise<void> {
    const existing = await lstat(target).catch(() => undefined);
    if (existing) await rename(target, old);
    try {
      await rename(staging, target);
    } catch (err) {
      if (existing) await rename(old, target);
      throw err;
    }
    if (existing) await rm(old, { recursive: true, force: true });
  }
}
