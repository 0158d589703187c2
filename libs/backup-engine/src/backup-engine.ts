import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { ObjectStore } from '@lockstep/storage';
import { BackupRepository } from './backup-repository';
import { DEFAULT_CHUNKER_OPTIONS, GearChunker, type ChunkerOptions } from './gear-chunker';
import { manifestDigest, type BackupManifest, type BackupStats, type ChunkLocation, type TreeEntry } from './manifest';
import { PackWriter } from './pack-writer';
import { BackupVerifier, type VerifyReport } from './backup-verifier';
import { BackupRestorer, type RestoreResult } from './backup-restorer';
import { walkTree } from './tree-walker';
import type { StreamSource } from './stream-source';
import { DatabaseRestorer, type DatabaseRestoreRequest, type DatabaseRestoreResult } from './database-restorer';
import type { ProcessRunner } from './process-runner';
import { ZstdProcess, type Compressor } from './zstd.process';

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

/** What to back up. */
export interface BackupRequest {
  /** Directory whose contents are backed up (the directory itself is the root); optional when `streams` are given. */
  source?: string;
  /**
   * Byte streams backed up after the tree, each recorded as a `database` entry (see
   * pgDumpSource). A stream that throws fails the backup: no manifest is written.
   */
  streams?: StreamSource[];
  /** Glob patterns to leave out (`*.log`, `cache/**`). */
  excludes?: string[];
  /** Backup id; defaults to `backup_YYYYMMDD_HHMMSS_xxxx`. */
  id?: string;
  /** Labels stored in the manifest (type, component version, trigger...). */
  labels?: Record<string, string>;
}

/** A committed backup. */
export interface BackupResult {
  id: string;
  manifest: BackupManifest;
  /** Stats including the manifest's own upload. */
  stats: BackupStats;
}

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * Content-addressed backups of directory trees into an ObjectStore bucket (restic-like):
 * chunks deduplicated across backups, packs of at most 16 MiB, the manifest written last.
 */
export class BackupEngine {
  private constructor(
    readonly repository: BackupRepository,
    private readonly compressor: Compressor,
    private readonly chunkerOptions: ChunkerOptions,
    /** Chunks compressed at once; bounds memory to about this many maximum-size chunks. */
    private readonly parallelChunks: number,
  ) {}

  /** Opens (or initializes) the repository in the store's bucket. Throws WrongKeyError on a wrong passphrase. */
  static async open(store: ObjectStore, options: BackupEngineOptions = {}): Promise<BackupEngine> {
    const repository = await BackupRepository.open(store, options.passphrase);
    return new BackupEngine(repository, options.compressor ?? new ZstdProcess(3), options.chunker ?? DEFAULT_CHUNKER_OPTIONS, options.parallelChunks ?? 3);
  }

  /** Backs up a directory tree; the backup exists once this resolves (manifest uploaded last). */
  async backup(request: BackupRequest): Promise<BackupResult> {
    const started = Date.now();
    const id = request.id ?? generateBackupId(new Date(started));
    if (request.source === undefined && !request.streams?.length) throw new Error('nothing to back up: give a source directory, streams, or both');
    if (!ID_PATTERN.test(id)) throw new Error(`backup id ${JSON.stringify(id)} is invalid: use letters, digits, ".", "_" and "-" (at most 128)`);
    const writer = new PackWriter(this.repository, this.compressor, await this.repository.loadChunkIndex());
    const chunker = new GearChunker(this.chunkerOptions);
    const entries: TreeEntry[] = [];
    const used = new Set<string>();
    const window: Promise<string>[] = [];
    let bytesRead = 0;

    const store = async (data: AsyncIterable<Buffer>): Promise<{ size: number; sha256: string; chunks: string[] }> => {
      const hash = createHash('sha256');
      const pendingIds: Promise<string>[] = [];
      let size = 0;
      try {
        for await (const chunk of chunker.chunks(data)) {
          hash.update(chunk);
          size += chunk.length;
          const added = writer.add(chunk);
          added.catch(() => undefined); // awaited below; this only keeps it from counting as unhandled
          pendingIds.push(added);
          window.push(added);
          if (window.length >= this.parallelChunks) await window.shift();
        }
      } finally {
        await Promise.allSettled(pendingIds); // never leave compressions running behind a failure
      }
      const chunks = await Promise.all(pendingIds);
      for (const chunkId of chunks) used.add(chunkId);
      bytesRead += size;
      return { size, sha256: hash.digest('hex'), chunks };
    };

    if (request.source !== undefined) {
      for await (const e of walkTree(request.source, request.excludes)) {
        if (e.type !== 'file') {
          entries.push(e);
          continue;
        }
        const content = await store(createReadStream(e.absPath, { highWaterMark: 1024 * 1024 }));
        entries.push({ type: 'file', path: e.path, mode: e.mode, mtimeMs: e.mtimeMs, ...content });
      }
    }
    for (const stream of request.streams ?? []) {
      if (entries.some((e) => e.path === stream.path)) throw new Error(`backup entry ${stream.path} appears twice: give each stream a distinct path`);
      const content = await store(stream.open());
      entries.push({ type: 'database', path: stream.path, database: stream.database, format: stream.format, ...content });
    }
    await writer.flush();

    const chunkMap: Record<string, ChunkLocation> = {};
    const packs = new Set<string>();
    let sizeBefore = 0;
    let sizeAfter = 0;
    for (const chunkId of [...used].sort()) {
      const loc = writer.known.get(chunkId);
      if (!loc) throw new Error(`internal: chunk ${chunkId} has no location after flush`);
      chunkMap[chunkId] = loc;
      packs.add(loc.pack);
      sizeBefore += loc.size;
      sizeAfter += loc.length;
    }
    const { bytesUploaded, packs: packCount, newChunks, reusedChunks } = writer.stats;
    const stats: BackupStats = { bytesRead, bytesUploaded, packs: packCount, newChunks, reusedChunks, sizeBeforeCompression: sizeBefore, sizeAfterCompression: sizeAfter, durationMs: Date.now() - started };
    const body: Omit<BackupManifest, 'sha256'> = { version: 1, id, createdAt: new Date(started).toISOString(), labels: request.labels ?? {}, entries, chunks: chunkMap, packs: [...packs].sort(), stats };
    const manifest: BackupManifest = { ...body, sha256: manifestDigest(body) };
    const manifestBytes = await this.repository.putManifest(manifest);
    return { id, manifest, stats: { ...stats, bytesUploaded: stats.bytesUploaded + manifestBytes, durationMs: Date.now() - started } };
  }

  /** Re-downloads every pack the backup needs and checks every chunk and file hash. */
  async verify(id: string): Promise<VerifyReport> {
    return new BackupVerifier(this.repository, this.compressor).verify(await this.repository.getManifest(id));
  }

  /**
   * Verifies the backup, restores it into a temporary sibling of `target`, then swaps it
   * into place. Throws BackupCorruptedError or UnsafePathError before touching `target`.
   */
  async restore(id: string, target: string): Promise<RestoreResult> {
    const manifest = await this.repository.getManifest(id);
    return new BackupRestorer(this.repository, this.compressor).restore(manifest, target);
  }

  /**
   * Verifies the backup, then restores one of its database entries with pg_restore, into a
   * new database or into the target in one transaction, as `request.mode` says. Throws
   * BackupCorruptedError before touching any database, ExternalCommandError naming the
   * program (createdb, pg_restore) when one fails.
   */
  async restoreDatabase(id: string, request: DatabaseRestoreRequest, runner?: ProcessRunner): Promise<DatabaseRestoreResult> {
    const manifest = await this.repository.getManifest(id);
    return new DatabaseRestorer(this.repository, this.compressor, runner).restore(manifest, request);
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

/** `backup_YYYYMMDD_HHMMSS_xxxx` in UTC, with a random suffix against collisions. */
export function generateBackupId(at: Date): string {
  const s = at.toISOString().replace(/[-:]/g, '').replace('T', '_').slice(0, 15);
  return `backup_${s}_${randomBytes(2).toString('hex')}`;
}
