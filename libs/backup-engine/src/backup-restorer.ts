import { createHash } from 'node:crypto';
import { chmod, chown, lstat, mkdir, open, readdir, realpath, rm, symlink, utimes } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { BackupBucket } from './backup-bucket';
import { BackupCorruptedError, BackupEngineError, BackupErrorCode, UnsafePathError } from './errors';
import type { BackupManifest, DirEntry, FileEntry } from './manifest';
import { PackReader } from './pack-reader';
import { ProgressReporter, ProgressStep, type ProgressListener, type ProgressPhase } from './progress';
import { safeJoin } from './restore-paths';
import { journalPathOf, planSwap, swapAll, type SwapPlan } from './restore-swap';
import { planRootRestores, selectTree, type SelectedTree } from './restore-selection';
import { BackupVerifier, type VerifyReport } from './backup-verifier';
import type { Compressor } from './zstd.process';

/** What one restored tree holds. */
export interface RestoredTree {
  files: number;
  directories: number;
  symlinks: number;
  bytesWritten: number;
}

/** What a restore did. */
export interface RestoreResult extends RestoredTree {
  backupId: string;
  target: string;
  /** The backup path restored as `target` (undefined: the whole backup). */
  select?: string;
  verify: VerifyReport;
}

/** One root put back by restoreRoots. */
export interface RestoredRoot extends RestoredTree {
  /** Backup path restored (a root prefix, or a part below one). */
  prefix: string;
  /** Directory it was put back into. */
  target: string;
}

/** What restoreRoots did. */
export interface RestoreRootsResult {
  backupId: string;
  roots: RestoredRoot[];
  verify: VerifyReport;
}

/** How restored files are written, for every kind of restore. */
export interface RestoreWriteOptions {
  /** Receives progress: `verify` (0-50%), `restore` (50-99%), then `done` at 100. */
  onProgress?: ProgressListener;
  /**
   * Runs once every tree is verified and written, before any is swapped in (e.g. restoring
   * the backup's databases); if it throws, nothing is swapped and the staged trees are removed.
   */
  beforeSwap?: () => Promise<void>;
  /** Keep the setuid and setgid bits files were backed up with (default: cleared, so a restore never creates a privileged program). */
  keepSpecialBits?: boolean;
}

/** Options of a restore into a directory. */
export interface RestoreOptions extends RestoreWriteOptions {
  /** Restore only the entries under this backup path (e.g. `config/app`), which becomes the target. */
  select?: string;
  /**
   * The target must not exist or be an empty directory (a restore `--to DIR`): a target
   * holding anything is refused with RestoreTargetNotEmpty before anything is read, and
   * nothing that was there is ever moved aside or deleted. Default false: the target is replaced.
   */
  exclusive?: boolean;
}

/** Options of restoreRoots. */
export interface RestoreRootsOptions extends RestoreWriteOptions {
  /** Restore only roots under this backup path (`config`, `data/shared`...), or one part of a root; default all roots. */
  select?: string;
  /**
   * Directories roots may go back to (this host's configured backup paths): a root recorded
   * with any other directory is refused before anything is read, so a manifest cannot send
   * files to a place this host never backed up. Default: any recorded directory.
   */
  allowedDirs?: readonly string[];
}

interface StagedTree extends SwapPlan {
  tree: SelectedTree;
  result?: RestoredTree;
}

/** One tree to restore and the directory it goes to. */
interface RestoreItem {
  tree: SelectedTree;
  target: string;
}

/**
 * Restores a backup safely: every path is checked first, the needed part of the backup is
 * verified, each tree is written into a temporary sibling of its target and only once all
 * are written are they renamed into place, so an interrupted restore leaves the old
 * targets untouched. A target that is a mount point is filled in place instead (see
 * SwapPlan): written inside it, then its entries exchanged. Targets are followed through
 * symbolic links; an exclusive restore (`--to`) only ever fills a missing or empty directory.
 */
export class BackupRestorer {
  constructor(
    private readonly repository: BackupBucket,
    private readonly compressor: Compressor,
  ) {}

  /** Restores `manifest` (or the part under `options.select`) into `target`, created or replaced. */
  async restore(manifest: BackupManifest, target: string, options: RestoreOptions = {}): Promise<RestoreResult> {
    const tree = selectTree(manifest, options.select);
    const { verify, staged } = await this.run(
      manifest,
      [{ tree, target: resolve(target) }],
      options,
      options.exclusive,
    );
    return {
      backupId: manifest.id,
      target: staged[0].target,
      ...(options.select !== undefined && { select: options.select }),
      ...staged[0].result!,
      verify,
    };
  }

  /**
   * Puts every root of a multi-root backup matching `options.select` back into the directory
   * it was read from (the manifest's `roots`), each replaced as a whole. The directories come
   * from the manifest: restore only from repositories you trust (encrypted ones authenticate it).
   */
  async restoreRoots(manifest: BackupManifest, options: RestoreRootsOptions = {}): Promise<RestoreRootsResult> {
    const plans = planRootRestores(manifest, options.select, options.allowedDirs);
    const { verify, staged } = await this.run(
      manifest,
      plans.map((p) => ({ tree: p.tree, target: p.target })),
      options,
    );
    return {
      backupId: manifest.id,
      roots: staged.map((s, i) => ({ prefix: plans[i].prefix, target: s.target, ...s.result! })),
      verify,
    };
  }

  /**
   * Verifies once, stages every tree, runs `beforeSwap`, then swaps them all in (undoing the
   * swaps done if one fails). A target that is a symbolic link is restored into the directory
   * it points to (the link stays); `exclusive` refuses targets that hold anything.
   */
  private async run(
    manifest: BackupManifest,
    requested: RestoreItem[],
    options: RestoreWriteOptions,
    exclusive = false,
  ): Promise<{ verify: VerifyReport; staged: StagedTree[] }> {
    const items: RestoreItem[] = [];
    for (const item of requested) {
      const target = await throughLinks(item.target);
      if (exclusive) await assertEmptyOrMissing(target, item.target);
      items.push({ ...item, target });
    }
    const progress = new ProgressReporter(options.onProgress);
    const content = items.flatMap((i) => i.tree.content);
    const verifyBytes = content.reduce((n, e) => n + e.size, 0);
    const verify = await new BackupVerifier(this.repository, this.compressor).verify(manifest, {
      ...(items.length !== 1 || items[0].tree.select !== undefined ? { entries: content } : {}),
      progress: progress.phase(ProgressStep.Verify, 0, 50, verifyBytes),
    });
    if (!verify.ok) throw new BackupCorruptedError(manifest.id, verify.corruptedPacks, verify.problems);

    const writeBytes = items.flatMap((i) => i.tree.entries).reduce((n, e) => n + (e.type === 'file' ? e.size : 0), 0);
    const phase = progress.phase(ProgressStep.Restore, 50, 100, writeBytes);
    const written = { bytes: 0 };
    const staged: StagedTree[] = [];
    try {
      for (const item of items) {
        await mkdir(dirname(item.target), { recursive: true });
        const s: StagedTree = { ...item, ...(await planSwap(item.target, item.tree.rootMode, undefined, exclusive)) };
        await mkdir(s.staging, { mode: 0o700 });
        staged.push(s);
        s.result = await this.writeTree(manifest, item.tree, s.staging, phase, written, {
          rootMode: !s.inPlace,
          keepSpecialBits: options.keepSpecialBits === true,
        });
      }
      await options.beforeSwap?.();
      await swapAll(staged);
    } catch (err) {
      // an in-place exchange that could not be undone keeps its journal and staging: the next restore or agent start needs them
      const kept = async (s: StagedTree) =>
        s.inPlace &&
        (await lstat(journalPathOf(s)).then(
          () => true,
          () => false,
        ));
      await Promise.all(staged.map(async (s) => (await kept(s)) || rm(s.staging, { recursive: true, force: true })));
      throw err;
    }
    progress.done(written.bytes);
    return { verify, staged };
  }

  /**
   * Writes `tree` into the empty directory `root`; its mode comes from the backup when
   * `rootMode` (else the swap sets it on the target). Owners recorded in the backup are put
   * back where this process may (see ownerToRestore); setuid/setgid bits only when asked.
   */
  private async writeTree(
    manifest: BackupManifest,
    tree: SelectedTree,
    root: string,
    phase: ProgressPhase,
    written: { bytes: number },
    how: { rootMode: boolean; keepSpecialBits: boolean },
  ): Promise<RestoredTree> {
    const { rootMode } = how;
    const processUid = process.getuid?.();
    const reader = new PackReader(this.repository, this.compressor);
    const dirs: DirEntry[] = [];
    let files = 0;
    let symlinks = 0;
    let bytesWritten = 0;
    for (const e of tree.entries) {
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
            phase.advance((written.bytes += plain.length), e.path);
          }
        } finally {
          await fh.close();
        }
        if (hash.digest('hex') !== e.sha256)
          throw new BackupCorruptedError(manifest.id, [], [`file ${e.path} does not match its sha256 while restoring`]);
        await restoreOwner(dest, e, processUid); // before chmod: a chown clears setuid/setgid
        await chmod(dest, how.keepSpecialBits ? e.mode : fileModeWithoutSpecialBits(e));
        await utimes(dest, new Date(e.mtimeMs), new Date(e.mtimeMs));
        files++;
      }
    }
    // symlinks last, so nothing is ever written through one
    for (const e of tree.entries) {
      if (e.type !== 'symlink') continue;
      const dest = safeJoin(root, e.path);
      await mkdir(dirname(dest), { recursive: true, mode: 0o700 });
      await symlink(e.target, dest);
      symlinks++;
    }
    // directory modes last and deepest first, so read-only directories do not block writes
    for (const d of [...dirs].sort((a, b) => b.path.split('/').length - a.path.split('/').length)) {
      await restoreOwner(safeJoin(root, d.path), d, processUid);
      await chmod(safeJoin(root, d.path), d.mode);
    }
    if (rootMode && tree.rootOwner) await restoreOwner(root, tree.rootOwner, processUid);
    if (rootMode && tree.rootMode !== undefined) await chmod(root, tree.rootMode);
    return { files, directories: dirs.length, symlinks, bytesWritten };
  }
}

/** Setuid and setgid: cleared from restored files unless the operator asks to keep them. */
const SPECIAL_BITS = 0o6000;

/** A file's recorded mode without setuid and setgid (the sticky bit and permissions kept). */
export function fileModeWithoutSpecialBits(entry: Pick<FileEntry, 'mode'>): number {
  return entry.mode & ~SPECIAL_BITS;
}

/**
 * The owner to give a restored entry: the recorded one when this process may set it (it
 * runs as root, or as that very user); otherwise none, and the entry keeps the owner of
 * the restoring process, like the directory it is restored into. Backups taken before
 * owners were recorded restore as the process's own.
 */
export function ownerToRestore(
  entry: { uid?: number; gid?: number },
  processUid: number | undefined,
): { uid: number; gid: number } | undefined {
  if (entry.uid === undefined || entry.gid === undefined || processUid === undefined) return undefined;
  return processUid === 0 || processUid === entry.uid ? { uid: entry.uid, gid: entry.gid } : undefined;
}

async function restoreOwner(path: string, entry: { uid?: number; gid?: number }, processUid?: number): Promise<void> {
  const owner = ownerToRestore(entry, processUid);
  if (!owner) return;
  // as that user, a group it is not a member of is refused (EPERM): the file keeps the process's group then
  await chown(path, owner.uid, owner.gid).catch((err: NodeJS.ErrnoException) =>
    err.code === 'EPERM' && processUid !== 0 ? undefined : Promise.reject(err),
  );
}

/**
 * `target` with symbolic links resolved, so a target that is a link (`shared -> /mnt/data`)
 * is restored into the directory it points to and the link itself stays. A link pointing
 * nowhere is refused: restoring would have to replace the link or guess where to create.
 */
async function throughLinks(target: string): Promise<string> {
  try {
    return await realpath(target);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const st = await lstat(target).catch(() => undefined);
  if (st?.isSymbolicLink())
    throw new UnsafePathError(
      target,
      'it is a symbolic link to a directory that does not exist',
      'Create the directory the link points to (or remove the link), then restore again.',
    );
  // the target does not exist yet: its parent may still be reached through links
  const parent = dirname(target);
  return parent === target ? target : join(await throughLinks(parent), basename(target));
}

/**
 * Refuses a `--to` directory that holds anything (followed through symbolic links), with
 * RestoreTargetNotEmpty naming it: such a restore never moves aside or deletes what was there.
 */
export async function checkRestoreTarget(dir: string): Promise<void> {
  await assertEmptyOrMissing(await throughLinks(resolve(dir)), dir);
}

async function assertEmptyOrMissing(dir: string, asGiven: string): Promise<void> {
  const st = await lstat(dir).catch((err: NodeJS.ErrnoException) =>
    err.code === 'ENOENT' ? undefined : Promise.reject(err),
  );
  if (!st) return;
  const named = asGiven === dir ? dir : `${asGiven} (${dir})`;
  if (!st.isDirectory())
    throw new BackupEngineError(
      BackupErrorCode.RestoreTargetNotEmpty,
      `refusing to restore into ${named}: it exists and is not a directory. Nothing was changed; choose a directory that does not exist yet or is empty.`,
    );
  const names = await readdir(dir);
  if (names.length > 0)
    throw new BackupEngineError(
      BackupErrorCode.RestoreTargetNotEmpty,
      `refusing to restore into ${named}: it is not empty (it holds ${names.length} entr${names.length === 1 ? 'y' : 'ies'}, e.g. ${JSON.stringify(names.sort()[0])}), and a restore with --to never replaces or deletes what is there. Nothing was changed; choose a directory that does not exist yet or is empty, or empty this one first.`,
    );
}
