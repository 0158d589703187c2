import { createHash, type Hash } from 'node:crypto';
import { abortable, throwIfAborted } from './abort';
import type { BackupRepository } from './backup-repository';
import { BackupAbortedError, BackupEngineError, BackupErrorCode } from './errors';
import { GearChunker, type ChunkerOptions } from './gear-chunker';
import { manifestDigest, type BackupManifest, type BackupStats, type ChunkLocation, type TreeEntry } from './manifest';
import { readFilePieces } from './file-reader';
import { PackWriter } from './pack-writer';
import { ProgressReporter, ProgressStep, type ProgressListener, type ProgressPhase } from './progress';
import { isUnder, resolveRoots, sumFileBytes, type BackupSourceRoot } from './source-roots';
import type { StreamSource } from './stream-source';
import { walkTree } from './tree-walker';
import { ParentFiles } from './parent-files';
import { RESERVED_ENTRY_PREFIXES } from './restore-swap';
import type { Compressor } from './zstd.process';

/** What to back up. */
export interface BackupRequest {
  /** Directory whose contents are backed up (the directory itself is the root); optional when `sources` or `streams` are given. */
  source?: string;
  /**
   * Several directories, each stored under its prefix (`config/app/...`) with a `dir` entry
   * for the prefix itself; the manifest records `roots` so restoreRoots can put each back
   * where it came from. Not combinable with `source`.
   */
  sources?: BackupSourceRoot[];
  /**
   * Byte streams backed up after the tree, each recorded as a `database` entry (see
   * pgDumpSource). A stream that throws fails the backup: no manifest is written.
   */
  streams?: StreamSource[];
  /** Glob patterns to leave out (`*.log`, `cache/**`), in `source` and in every root of `sources`. */
  excludes?: string[];
  /** Backup id; defaults to `backup_YYYYMMDD_HHMMSS_xxxx`. */
  id?: string;
  /** Labels stored in the manifest (type, component version, trigger...). */
  labels?: Record<string, string>;
}

/** How a backup runs. */
export interface BackupRunOptions {
  /** Receives progress: `scan`, `files`, `streams` (counted per stream: their size is unknown), `commit`, then `done` at 100. */
  onProgress?: ProgressListener;
  /** Aborts the backup promptly with BackupAbortedError; no manifest is written. */
  signal?: AbortSignal;
  /** Least time between two progress reports (default 250 ms; 0 reports every step). */
  progressIntervalMs?: number;
}

/** A committed backup. */
export interface BackupResult {
  id: string;
  manifest: BackupManifest;
  /** Stats including the manifest's own upload. */
  stats: BackupStats;
}

/** Settings of one backup run, fixed by the engine. */
export interface BackupCreatorSettings {
  compressor: Compressor;
  chunker: ChunkerOptions;
  /** Chunks compressed at once; bounds memory to about this many maximum-size chunks. */
  parallelChunks: number;
}

/** Share of the percentage given to files when streams follow them. */
const FILES_SHARE_WITH_STREAMS = 85;

/**
 * Runs one backup: validates the roots, sums the file bytes (stat pass), chunks and packs
 * every file and stream, then uploads the manifest last. Memory stays bounded: files and
 * streams are read piecewise, at most `parallelChunks` chunks are in flight.
 */
export class BackupCreator {
  constructor(
    private readonly repository: BackupRepository,
    private readonly settings: BackupCreatorSettings,
  ) {}

  /** Backs up `request` as backup `id`; the backup exists once this resolves. */
  async create(id: string, request: BackupRequest, options: BackupRunOptions = {}): Promise<BackupResult> {
    const started = Date.now();
    const { signal } = options;
    const aborted = (): Error => new BackupAbortedError(id, { cause: signal?.reason });
    const progress = new ProgressReporter(options.onProgress, options.progressIntervalMs);
    if (request.source === undefined && !request.sources?.length && !request.streams?.length) {
      throw new BackupEngineError(
        BackupErrorCode.InvalidRequest,
        'nothing to back up: give a source directory, sources, streams, or a combination',
      );
    }
    // an in-place restore's work directories and journal never go into a backup
    const roots = await resolveRoots(request.source, request.sources, [
      ...(request.excludes ?? []),
      ...RESERVED_ENTRY_PREFIXES.map((p) => `${p}*`),
    ]);
    checkStreamPaths(request.streams ?? [], roots.map((r) => r.prefix).filter(Boolean));
    throwIfAborted(signal, aborted);
    progress.phase(ProgressStep.Scan, 0, 0).advance(0);
    const fileBytes = await sumFileBytes(roots, signal, aborted);

    const writer = new PackWriter(this.repository, this.settings.compressor, await this.repository.loadChunkIndex());
    const parent = roots.length > 0 ? await ParentFiles.loadLatest(this.repository) : new ParentFiles();
    let reusedFromParent = 0;
    const chunker = new GearChunker(this.settings.chunker);
    const entries: TreeEntry[] = [];
    const used = new Set<string>();
    const window: Promise<string>[] = [];
    let bytesRead = 0;

    const store = async (
      data: AsyncIterable<Buffer>,
      onBytes: (n: number) => void,
    ): Promise<{ size: number; sha256: string; chunks: string[] }> => {
      // A content of one chunk has the chunk's id as its digest: it is hashed again only once a second chunk comes.
      let hash: Hash | undefined;
      let first: Buffer | undefined;
      const pendingIds: Promise<string>[] = [];
      let size = 0;
      try {
        for await (const chunk of chunker.chunks(abortable(data, signal, aborted))) {
          throwIfAborted(signal, aborted);
          if (pendingIds.length === 0) first = chunk;
          else {
            if (!hash) {
              hash = createHash('sha256').update(first!);
              first = undefined;
            }
            hash.update(chunk);
          }
          size += chunk.length;
          const added = writer.add(chunk);
          added.catch(() => undefined); // awaited below; this only keeps it from counting as unhandled
          pendingIds.push(added);
          window.push(added);
          if (window.length >= this.settings.parallelChunks) await window.shift();
          onBytes(chunk.length);
        }
      } finally {
        await Promise.allSettled(pendingIds); // never leave compressions running behind a failure
      }
      const chunks = await Promise.all(pendingIds);
      for (const chunkId of chunks) used.add(chunkId);
      bytesRead += size;
      const sha256 = hash ? hash.digest('hex') : chunks.length === 1 ? chunks[0] : createHash('sha256').digest('hex');
      return { size, sha256, chunks };
    };

    const streams = request.streams ?? [];
    const filesEnd = streams.length === 0 ? 100 : roots.length === 0 ? 0 : FILES_SHARE_WITH_STREAMS;
    const files = progress.phase(ProgressStep.Files, 0, filesEnd, fileBytes);
    let fileBytesDone = 0;
    for (const root of roots) {
      if (root.prefix) entries.push({ type: 'dir', path: root.prefix, mode: root.mode });
      const under = (p: string): string => (root.prefix ? `${root.prefix}/${p}` : p);
      for await (const e of walkTree(root.dir, root.excludes)) {
        throwIfAborted(signal, aborted);
        if (e.type !== 'file') {
          entries.push({ ...e, path: under(e.path) });
          continue;
        }
        const path = under(e.path);
        const unchanged = parent.unchanged(path, e, writer.known);
        if (unchanged) {
          // restic's parent check: same size, mtime, ctime and inode, chunks still stored; not read again
          for (const chunkId of unchanged.chunks) used.add(chunkId);
          reusedFromParent += unchanged.chunks.length;
          entries.push({
            type: 'file',
            path,
            mode: e.mode,
            mtimeMs: e.mtimeMs,
            ctimeMs: e.ctimeMs,
            ino: e.ino,
            size: unchanged.size,
            sha256: unchanged.sha256,
            chunks: unchanged.chunks,
          });
          files.advance((fileBytesDone += unchanged.size), path);
          continue;
        }
        const content = await store(readFilePieces(e.absPath, e.size), (n) =>
          files.advance((fileBytesDone += n), path),
        );
        entries.push({
          type: 'file',
          path,
          mode: e.mode,
          mtimeMs: e.mtimeMs,
          ctimeMs: e.ctimeMs,
          ino: e.ino,
          ...content,
        });
      }
    }
    for (const [i, stream] of streams.entries()) {
      if (entries.some((e) => e.path === stream.path))
        throw new BackupEngineError(
          BackupErrorCode.InvalidRequest,
          `backup entry ${stream.path} appears twice: give each stream a distinct path`,
        );
      const phase: ProgressPhase = progress.phase(ProgressStep.Streams, filesEnd, 100);
      let streamBytes = 0;
      const content = await store(stream.open(), (n) =>
        phase.advance((streamBytes += n), stream.path, i / streams.length),
      );
      phase.advance(streamBytes, stream.path, (i + 1) / streams.length);
      entries.push({
        type: 'database',
        path: stream.path,
        database: stream.database,
        format: stream.format,
        ...content,
      });
    }
    throwIfAborted(signal, aborted);
    progress.phase(ProgressStep.Commit, 99, 99).advance(bytesRead, 'uploading the last pack and the manifest');
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
    const { bytesUploaded, packs: packCount, newChunks } = writer.stats;
    const reusedChunks = writer.stats.reusedChunks + reusedFromParent;
    const stats: BackupStats = {
      bytesRead,
      bytesUploaded,
      packs: packCount,
      newChunks,
      reusedChunks,
      sizeBeforeCompression: sizeBefore,
      sizeAfterCompression: sizeAfter,
      durationMs: Date.now() - started,
    };
    const rootDirs = request.sources?.length ? Object.fromEntries(roots.map((r) => [r.prefix, r.dir])) : undefined;
    const body: Omit<BackupManifest, 'sha256'> = {
      version: 1,
      id,
      createdAt: new Date(started).toISOString(),
      labels: request.labels ?? {},
      ...(rootDirs && { roots: rootDirs }),
      entries,
      chunks: chunkMap,
      packs: [...packs].sort(),
      stats,
    };
    const manifest: BackupManifest = { ...body, sha256: manifestDigest(body) };
    throwIfAborted(signal, aborted); // last moment a cancel can still leave no backup behind
    const manifestBytes = await this.repository.putManifest(manifest);
    progress.done(bytesRead, id);
    return {
      id,
      manifest,
      stats: { ...stats, bytesUploaded: stats.bytesUploaded + manifestBytes, durationMs: Date.now() - started },
    };
  }
}

function checkStreamPaths(streams: StreamSource[], prefixes: string[]): void {
  for (const s of streams) {
    const clash = prefixes.find((p) => isUnder(s.path, p) || isUnder(p, s.path));
    if (clash)
      throw new BackupEngineError(
        BackupErrorCode.InvalidRequest,
        `stream ${s.path} lies inside backup root ${JSON.stringify(clash)} (or the other way round): give the root another prefix, e.g. "data/${clash.split('/').pop()}".`,
      );
  }
}
