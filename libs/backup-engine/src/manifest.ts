import { createHash } from 'node:crypto';

/** Where one chunk lives: its pack, byte range in the pack, and sizes. */
export interface ChunkLocation {
  /** Pack object name (sha256 of the pack bytes). */
  pack: string;
  /** Offset of the stored blob inside the pack. */
  offset: number;
  /** Stored blob length (compressed, and encrypted when a key is set). */
  length: number;
  /** Plaintext size. */
  size: number;
}

/** One regular file. */
export interface FileEntry {
  type: 'file';
  /** Slash-separated path relative to the backup root (`<prefix>/...` in a multi-root backup). */
  path: string;
  /** Permission bits (mode & 0o7777). */
  mode: number;
  size: number;
  mtimeMs: number;
  /** Status change time when backed up; with `ino`, lets the next backup skip the file while unchanged (absent in older manifests). */
  ctimeMs?: number;
  /** Inode number when backed up (see `ctimeMs`). */
  ino?: number;
  /** Owner's user id when backed up, restored when the restoring process may (absent in older manifests). */
  uid?: number;
  /** Owner's group id when backed up (see `uid`). */
  gid?: number;
  /** sha256 of the whole content, hex. */
  sha256: string;
  /** Chunk ids in file order. */
  chunks: string[];
}

/** One directory (the backup root itself is not listed; the prefix directory of each root of a multi-root backup is). */
export interface DirEntry {
  type: 'dir';
  path: string;
  mode: number;
  /** Owner's user id when backed up (see FileEntry.uid). */
  uid?: number;
  /** Owner's group id when backed up. */
  gid?: number;
}

/** One symbolic link, stored as its target text; never followed. */
export interface SymlinkEntry {
  type: 'symlink';
  path: string;
  target: string;
}

/** A database dump streamed from its tool (e.g. `pg_dump`), stored like a file's content. */
export interface DatabaseEntry {
  type: 'database';
  /** Slash-separated entry name, e.g. `database/app.dump`. */
  path: string;
  /** Name of the database that was dumped. */
  database: string;
  /** Dump format; `pg-custom` is `pg_dump --format=custom`, restored with `pg_restore`. */
  format: DatabaseDumpFormat;
  /** Dump size in bytes. */
  size: number;
  /** sha256 of the whole dump, hex. */
  sha256: string;
  /** Chunk ids in stream order. */
  chunks: string[];
}

/** Dump formats the engine knows how to restore. */
export const DatabaseDumpFormat = { PgCustom: 'pg-custom' } as const;
export type DatabaseDumpFormat = (typeof DatabaseDumpFormat)[keyof typeof DatabaseDumpFormat];

export type TreeEntry = FileEntry | DirEntry | SymlinkEntry | DatabaseEntry;

/** Entries whose content is a chunk list. */
export type ContentEntry = FileEntry | DatabaseEntry;

/** Figures of one backup run. */
export interface BackupStats {
  /** Bytes read from the source files. */
  bytesRead: number;
  /** Bytes of packs, indexes and the manifest uploaded by this run. */
  bytesUploaded: number;
  /** Packs this run wrote. */
  packs: number;
  /** Chunks stored for the first time. */
  newChunks: number;
  /** Chunks found already stored (this run or earlier ones). */
  reusedChunks: number;
  /** Plaintext bytes of all referenced chunks (before compression). */
  sizeBeforeCompression: number;
  /** Stored bytes of all referenced chunks (after compression and encryption). */
  sizeAfterCompression: number;
  durationMs: number;
}

/** The commit record of a backup; a backup exists only once this object does. */
export interface BackupManifest {
  version: 1;
  id: string;
  createdAt: string;
  /** Free-form labels from the caller (type, component version, trigger...). */
  labels: Record<string, string>;
  /**
   * Multi-root backups only: the absolute directory each root prefix was read from
   * (`{ "config/app": "/etc/app" }`), so restoreRoots can put every root back in place.
   * Absent for single-`source` and stream-only backups.
   */
  roots?: Record<string, string>;
  entries: TreeEntry[];
  /** Location of every chunk the entries reference. */
  chunks: Record<string, ChunkLocation>;
  /** Every pack the backup needs (new and older ones). */
  packs: string[];
  stats: BackupStats;
  /** sha256 of the manifest's JSON without this field. */
  sha256: string;
}

/** sha256 over the canonical JSON of a manifest without its `sha256` field. */
export function manifestDigest(manifest: Omit<BackupManifest, 'sha256'> & { sha256?: string }): string {
  const { sha256: _ignored, ...body } = manifest;
  return createHash('sha256').update(JSON.stringify(body)).digest('hex');
}

/** Plaintext bytes of every file and database dump of a backup: what a full verify reads. */
export function contentBytes(manifest: Pick<BackupManifest, 'entries'>): number {
  return manifest.entries.reduce((n, e) => n + (e.type === 'file' || e.type === 'database' ? e.size : 0), 0);
}
