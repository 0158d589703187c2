import { throwIfAborted } from './abort';
import type { BackupBucket } from './backup-bucket';
import { ContentPacker } from './content-packer';
import { BackupAbortedError, BackupEngineError, BackupErrorCode } from './errors';
import type { ChunkerOptions } from './gear-chunker';
import { manifestDigest, type BackupManifest, type BackupStats, type TreeEntry } from './manifest';
import { readFilePieces } from './file-reader';
import { PackWriter } from './pack-writer';
import { ProgressReporter, ProgressStep, type ProgressListener, type ProgressPhase } from './progress';
import { isUnder, resolveRoots, sumFileBytes, type BackupSourceRoot, type ResolvedRoot } from './source-roots';
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
  /**
   * Whether the repository lock is still held, asked synchronously before each file, each
   * chunk (a chunk the repository holds is reused, not uploaded) and right before the
   * manifest is written. A lease's loss callback runs asynchronously: a process paused past
   * its lease resumes and would commit before hearing of it, while a prune deletes the packs it
   * reuses. False stops the backup with no manifest written.
   */
  stillHeld?: () => boolean;
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
    private readonly repository: BackupBucket,
    private readonly settings: BackupCreatorSettings,
  ) {}

  /** Backs up `request` as backup `id`; the backup exists once this resolves. */
  async create(id: string, request: BackupRequest, options: BackupRunOptions = {}): Promise<BackupResult> {
    const started = Date.now();
    const { signal } = options;
    const aborted = (): Error => new BackupAbortedError(id, { cause: signal?.reason });
    const stopIfAborted = (): void => {
      if (options.stillHeld && !options.stillHeld())
        throw new BackupEngineError(
          BackupErrorCode.Aborted,
          `backup ${id} stopped: the backup repository lock is no longer held (its lease expired, e.g. while the process was paused), so a prune may be deleting packs it would reuse; no backup was recorded, start it again`,
        );
      throwIfAborted(signal, aborted);
    };
    const progress = new ProgressReporter(options.onProgress, options.progressIntervalMs);
    const roots = await this.resolveSources(request);
    stopIfAborted();
    progress.phase(ProgressStep.Scan, 0, 0).advance(0);
    const fileBytes = await sumFileBytes(roots, signal, aborted);
    const packer = await this.openPacker(signal, aborted, stopIfAborted);
    const parent = roots.length > 0 ? await ParentFiles.loadLatest(this.repository) : new ParentFiles();
    const streams = request.streams ?? [];
    const filesEnd = streams.length === 0 ? 100 : roots.length === 0 ? 0 : FILES_SHARE_WITH_STREAMS;
    const files = progress.phase(ProgressStep.Files, 0, filesEnd, fileBytes);
    const entries = await this.packFiles(roots, parent, packer, files, stopIfAborted);
    await this.packStreams(streams, packer, entries, () => progress.phase(ProgressStep.Streams, filesEnd, 100));
    stopIfAborted();
    progress.phase(ProgressStep.Commit, 99, 99).advance(packer.bytesRead, 'uploading the last pack and the manifest');
    await packer.flush();
    const manifest = buildManifest(id, started, request, roots, entries, packer);
    stopIfAborted(); // last moment a cancel can still leave no backup behind
    const manifestBytes = await this.repository.putManifest(manifest);
    progress.done(packer.bytesRead, id);
    const { stats } = manifest;
    return {
      id,
      manifest,
      stats: { ...stats, bytesUploaded: stats.bytesUploaded + manifestBytes, durationMs: Date.now() - started },
    };
  }

  /** The directory roots of a request, refusing a request with nothing in it or with streams inside a root. */
  private async resolveSources(request: BackupRequest): Promise<ResolvedRoot[]> {
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
    return roots;
  }

  /** A packer over the repository's chunk index, so chunks stored before are not uploaded again. */
  private async openPacker(
    signal: AbortSignal | undefined,
    aborted: () => Error,
    stopIfAborted: () => void,
  ): Promise<ContentPacker> {
    const writer = new PackWriter(this.repository, this.settings.compressor, await this.repository.loadChunkIndex());
    return new ContentPacker(writer, this.settings, signal, aborted, stopIfAborted);
  }

  /** Walks every root and packs its files, reusing those the parent backup holds unchanged; returns the tree entries. */
  private async packFiles(
    roots: ResolvedRoot[],
    parent: ParentFiles,
    packer: ContentPacker,
    files: ProgressPhase,
    stopIfAborted: () => void,
  ): Promise<TreeEntry[]> {
    const entries: TreeEntry[] = [];
    let fileBytesDone = 0;
    for (const root of roots) {
      if (root.prefix) entries.push({ type: 'dir', path: root.prefix, mode: root.mode, uid: root.uid, gid: root.gid });
      const under = (p: string): string => (root.prefix ? `${root.prefix}/${p}` : p);
      for await (const e of walkTree(root.dir, root.excludes)) {
        stopIfAborted();
        if (e.type !== 'file') {
          entries.push({ ...e, path: under(e.path) });
          continue;
        }
        const path = under(e.path);
        const identity = { mode: e.mode, mtimeMs: e.mtimeMs, ctimeMs: e.ctimeMs, ino: e.ino, uid: e.uid, gid: e.gid };
        const unchanged = parent.unchanged(path, e, packer.known);
        if (unchanged) {
          stopIfAborted(); // reusing stored chunks: only while no prune can be deleting them
          // restic's parent check: same size, mtime, ctime and inode, chunks still stored; not read again
          packer.reuse(unchanged.chunks);
          const { size, sha256, chunks } = unchanged;
          entries.push({ type: 'file', path, ...identity, size, sha256, chunks });
          files.advance((fileBytesDone += unchanged.size), path);
          continue;
        }
        const content = await packer.pack(readFilePieces(e.absPath, e.size), (n) =>
          files.advance((fileBytesDone += n), path),
        );
        entries.push({ type: 'file', path, ...identity, ...content });
      }
    }
    return entries;
  }

  /** Packs each stream after the files, as a `database` entry appended to `entries`; `phase` gives each its progress phase. */
  private async packStreams(
    streams: StreamSource[],
    packer: ContentPacker,
    entries: TreeEntry[],
    phase: () => ProgressPhase,
  ): Promise<void> {
    for (const [i, stream] of streams.entries()) {
      if (entries.some((e) => e.path === stream.path))
        throw new BackupEngineError(
          BackupErrorCode.InvalidRequest,
          `backup entry ${stream.path} appears twice: give each stream a distinct path`,
        );
      const streamPhase = phase();
      let streamBytes = 0;
      const content = await packer.pack(stream.open(), (n) =>
        streamPhase.advance((streamBytes += n), stream.path, i / streams.length),
      );
      streamPhase.advance(streamBytes, stream.path, (i + 1) / streams.length);
      entries.push({
        type: 'database',
        path: stream.path,
        database: stream.database,
        format: stream.format,
        ...content,
      });
    }
  }
}

/** The manifest of a backup whose packs are all uploaded, with its digest. */
function buildManifest(
  id: string,
  started: number,
  request: BackupRequest,
  roots: ResolvedRoot[],
  entries: TreeEntry[],
  packer: ContentPacker,
): BackupManifest {
  const used = packer.usedChunks();
  const stats: BackupStats = { ...packer.stats(used), durationMs: Date.now() - started };
  const rootDirs = request.sources?.length ? Object.fromEntries(roots.map((r) => [r.prefix, r.dir])) : undefined;
  const body: Omit<BackupManifest, 'sha256'> = {
    version: 1,
    id,
    createdAt: new Date(started).toISOString(),
    labels: request.labels ?? {},
    ...(rootDirs && { roots: rootDirs }),
    entries,
    chunks: used.chunks,
    packs: used.packs,
    stats,
  };
  return { ...body, sha256: manifestDigest(body) };
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
