import type { ObjectStore } from '@lockstep/storage';
import { BACKUP_ID_PATTERN, generateBackupId } from './backup-id';
import { BackupCreator, type BackupRequest, type BackupResult, type BackupRunOptions } from './backup-creator';
import { BackupBucket } from './backup-bucket';
import {
  BackupRestorer,
  type RestoreOptions,
  type RestoreResult,
  type RestoreRootsOptions,
  type RestoreRootsResult,
} from './backup-restorer';
import { BackupVerifier, type VerifyReport } from './backup-verifier';
import { DatabaseRestorer, type DatabaseRestoreRequest, type DatabaseRestoreResult } from './database-restorer';
import { BackupEngineError, BackupErrorCode } from './errors';
import { DEFAULT_CHUNKER_OPTIONS, type ChunkerOptions } from './gear-chunker';
import { contentBytes, type BackupManifest } from './manifest';
import type { ProcessRunner } from './process-runner';
import { ProgressReporter, ProgressStep, type ProgressOptions } from './progress';
import { BackupPruner, type PruneRequest, type PruneResult } from './prune';
import type { Compressor } from './zstd.process';
import { defaultCompressor } from './zstd.native';

/** How to open a backup engine on a bucket. */
export interface BackupEngineOptions {
  /** Passphrase; a new repository is encrypted when set, an existing one needs the same. */
  passphrase?: string;
  /** Compressor; defaults to zstd level 3 via the system binary. */
  compressor?: Compressor;
  /** Chunk size limits; defaults to 256 KiB / 1 MiB / 4 MiB. */
  chunker?: ChunkerOptions;
  /** Chunks compressed concurrently (default 3). */
  parallelChunks?: number;
}

/**
 * Content-addressed backups of directory trees into an ObjectStore bucket (restic-like):
 * chunks deduplicated across backups, packs of at most 16 MiB, the manifest written last.
 */
export class BackupEngine {
  private constructor(
    readonly repository: BackupBucket,
    private readonly compressor: Compressor,
    private readonly chunkerOptions: ChunkerOptions,
    /** Chunks compressed at once; bounds memory to about this many maximum-size chunks. */
    private readonly parallelChunks: number,
  ) {}

  /** Opens (or initializes) the repository in the store's bucket. Throws WrongKeyError on a wrong passphrase. */
  static async open(store: ObjectStore, options: BackupEngineOptions = {}): Promise<BackupEngine> {
    const repository = await BackupBucket.open(store, options.passphrase);
    return new BackupEngine(
      repository,
      options.compressor ?? defaultCompressor(3),
      options.chunker ?? DEFAULT_CHUNKER_OPTIONS,
      options.parallelChunks ?? 3,
    );
  }

  /**
   * Backs up a directory tree, several roots under prefixes, and/or streams; the backup
   * exists once this resolves (manifest uploaded last). Throws BackupEngineError naming the
   * root and its setting when a directory is missing, BackupAbortedError when
   * `options.signal` fires (then no manifest is written).
   */
  async backup(request: BackupRequest, options: BackupRunOptions = {}): Promise<BackupResult> {
    const id = request.id ?? generateBackupId(new Date());
    if (!BACKUP_ID_PATTERN.test(id))
      throw new BackupEngineError(
        BackupErrorCode.InvalidRequest,
        `backup id ${JSON.stringify(id)} is invalid: use letters, digits, ".", "_" and "-" (at most 128)`,
      );
    const creator = new BackupCreator(this.repository, {
      compressor: this.compressor,
      chunker: this.chunkerOptions,
      parallelChunks: this.parallelChunks,
    });
    return creator.create(id, request, options);
  }

  /** Re-downloads every pack the backup needs and checks every chunk and file hash; progress counts plaintext bytes checked. */
  async verify(id: string, options: ProgressOptions = {}): Promise<VerifyReport> {
    let manifest: BackupManifest;
    try {
      manifest = await this.repository.getManifest(id);
    } catch (err) {
      // a damaged manifest is a finding of verify, like a damaged pack
      if (err instanceof BackupEngineError && err.code === BackupErrorCode.Corrupted)
        return {
          backupId: id,
          ok: false,
          corruptedPacks: [],
          problems: [err.message],
          packsChecked: 0,
          chunksChecked: 0,
          filesChecked: 0,
          bytesChecked: 0,
        };
      throw err;
    }
    const progress = new ProgressReporter(options.onProgress);
    const report = await new BackupVerifier(this.repository, this.compressor).verify(manifest, {
      progress: progress.phase(ProgressStep.Verify, 0, 100, contentBytes(manifest)),
    });
    progress.done(report.bytesChecked, report.ok ? 'ok' : `${report.problems.length} problem(s)`);
    return report;
  }

  /**
   * Verifies the backup (only the packs the restored entries need), restores it, or the
   * part under `options.select` re-rooted so that `select` becomes `target`, into a
   * temporary sibling of `target`, then swaps it into place. Throws BackupCorruptedError or
   * UnsafePathError before touching `target`. With `options.exclusive` (a restore `--to`) the
   * target must be missing or empty, else RestoreTargetNotEmpty, and nothing is ever moved
   * aside or deleted. A target that is a symbolic link is filled through it; setuid/setgid
   * bits are cleared unless `options.keepSpecialBits`; recorded owners are set when allowed.
   */
  async restore(id: string, target: string, options: RestoreOptions = {}): Promise<RestoreResult> {
    const manifest = await this.repository.getManifest(id);
    return new BackupRestorer(this.repository, this.compressor).restore(manifest, target, options);
  }

  /**
   * Puts the roots of a multi-root backup matching `options.select` (`config`, `data`,
   * `config/app`...; default all) back into the directories they were read from. Verifies
   * once, stages every root beside its directory, then swaps them all in. A backup without
   * recorded roots fails with a message to restore it with --to instead. A root directory
   * that is a symbolic link (`shared -> /mnt/data`) is restored into the directory it points
   * to, and the link stays.
   */
  async restoreRoots(id: string, options: RestoreRootsOptions = {}): Promise<RestoreRootsResult> {
    const manifest = await this.repository.getManifest(id);
    return new BackupRestorer(this.repository, this.compressor).restoreRoots(manifest, options);
  }

  /**
   * Verifies the backup, then restores one of its database entries with pg_restore, into a
   * new database or into the target in one transaction, as `request.mode` says. Throws
   * BackupCorruptedError before touching any database, ExternalCommandError naming the
   * program (createdb, pg_restore) when one fails. Progress: `verify`, `restore` (dump bytes
   * handed to pg_restore), `done`.
   */
  async restoreDatabase(
    id: string,
    request: DatabaseRestoreRequest,
    runner?: ProcessRunner,
    options: ProgressOptions = {},
  ): Promise<DatabaseRestoreResult> {
    const manifest = await this.repository.getManifest(id);
    return new DatabaseRestorer(this.repository, this.compressor, runner).restore(manifest, request, options);
  }

  /**
   * Deletes the manifests of `request.remove`, then every pack (and its index) that no
   * remaining backup references, which also clears packs left by failed or aborted backups.
   * Manifests go first, indexes next, packs last, so a crash midway never leaves a backup
   * pointing at a missing pack; rerun to finish. `dryRun` reports the same without deleting.
   *
   * The caller must guarantee that no backup, verify or restore runs on this repository
   * meanwhile (a lock outside the engine): a running backup may reference a pack that looks
   * unreferenced here.
   */
  prune(request: PruneRequest): Promise<PruneResult> {
    return new BackupPruner(this.repository).prune(request);
  }

  /** Ids of all completed backups. */
  list(): Promise<string[]> {
    return this.repository.listBackupIds();
  }

  /** Reads a backup's manifest. */
  manifest(id: string): Promise<BackupManifest> {
    return this.repository.getManifest(id);
  }
}
