import type { BackupBucket } from './backup-bucket';
import type { BackupManifest, ChunkLocation, FileEntry } from './manifest';

/** What a walk knows about a file now (from lstat), compared with the parent backup's entry. */
export interface FileIdentity {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
}

/** A file entry that also recorded ctime and inode when it was backed up (optional manifest fields). */
type RecordedFile = FileEntry & { ctimeMs?: number; ino?: number };

/** Manifests looked at, newest first, for one that holds files. */
const PARENT_CANDIDATES = 5;

/**
 * The files of a parent backup, for skipping unchanged files the way restic does with its
 * parent snapshot: a file whose path, size, mtime, ctime and inode all match the parent's
 * entry is taken over with the parent's sha256 and chunk list, without being read again.
 *
 * Safe by construction: an entry without recorded ctime and inode (older manifests) never
 * matches; nor does a file changed at or after the moment the parent backup started (it may
 * have changed after the parent read it: "racily clean"); nor one whose chunks are not all
 * in the repository's chunk index any more (pruned). ctime cannot be set by users, so a
 * content change with a restored mtime still shows.
 */
export class ParentFiles {
  private readonly files = new Map<string, RecordedFile>();
  /** When the parent backup started, ms since the epoch. */
  private readonly since: number;

  /** `parent` undefined: no parent, every file is read. */
  constructor(readonly parent?: BackupManifest) {
    this.since = parent ? Date.parse(parent.createdAt) : 0;
    for (const e of parent?.entries ?? []) if (e.type === 'file') this.files.set(e.path, e);
  }

  /**
   * The newest completed backup (by its manifest's upload time) that holds files, among the
   * last few; an empty ParentFiles when there is none.
   */
  static async loadLatest(repository: Pick<BackupBucket, 'store' | 'getManifest'>): Promise<ParentFiles> {
    const listed = (await repository.store.list('manifests/')).sort(
      (a, b) => b.lastModified.getTime() - a.lastModified.getTime(),
    );
    for (const obj of listed.slice(0, PARENT_CANDIDATES)) {
      const manifest = await repository.getManifest(obj.key.slice('manifests/'.length).replace(/\.json$/, ''));
      if (manifest.entries.some((e) => e.type === 'file')) return new ParentFiles(manifest);
    }
    return new ParentFiles();
  }

  /** Files the parent holds. */
  get size(): number {
    return this.files.size;
  }

  /**
   * The parent's entry for `path` when the file is unchanged and all its chunks are still
   * stored (`known`: the repository's chunk index); undefined when the file must be read.
   */
  unchanged(path: string, now: FileIdentity, known: ReadonlyMap<string, ChunkLocation>): FileEntry | undefined {
    const prev = this.files.get(path);
    if (!prev || prev.ctimeMs === undefined || prev.ino === undefined) return undefined;
    if (prev.size !== now.size || prev.mtimeMs !== now.mtimeMs || prev.ctimeMs !== now.ctimeMs || prev.ino !== now.ino)
      return undefined;
    if (now.mtimeMs >= this.since || now.ctimeMs >= this.since) return undefined;
    return prev.chunks.every((id) => known.has(id)) ? prev : undefined;
  }
}
