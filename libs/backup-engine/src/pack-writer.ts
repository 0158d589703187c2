import { createHash } from 'node:crypto';
import { MAX_OBJECT_BYTES } from '@lockstep/storage';
import type { BackupRepository } from './backup-repository';
import type { Compressor } from './zstd.process';
import type { ChunkLocation } from './manifest';

/** The part of BackupRepository the writer needs. */
export type PackSink = Pick<BackupRepository, 'cipher' | 'putPack'>;

/** Figures the writer accumulates while packing. */
export interface PackWriterStats {
  bytesUploaded: number;
  packs: number;
  newChunks: number;
  reusedChunks: number;
}

/**
 * Turns chunks into packs: each new chunk is compressed (zstd frame), encrypted when the
 * repository has a key (chunk id as associated data), and appended to the open pack;
 * a pack is uploaded under `packs/<sha256>` before it would pass 16 MiB, followed by its
 * index. Chunks already in the repository's index are only referenced.
 */
export class PackWriter {
  readonly stats: PackWriterStats = { bytesUploaded: 0, packs: 0, newChunks: 0, reusedChunks: 0 };
  private blobs: Buffer[] = [];
  private pending = new Map<string, Omit<ChunkLocation, 'pack'>>();
  private size = 0;
  /** Chunks being compressed or in the open pack; they move to `known` on upload. */
  private readonly claimed = new Set<string>();
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly repository: PackSink,
    private readonly compressor: Compressor,
    /** Known chunks; the writer adds the ones it stores. */
    readonly known: Map<string, ChunkLocation>,
    private readonly maxPackBytes = MAX_OBJECT_BYTES,
  ) {}

  /**
   * Stores one chunk unless it is already stored; returns its id. Several calls may run at
   * once: compression and encryption overlap, appends to the pack are serialized.
   */
  async add(plain: Buffer): Promise<string> {
    const id = createHash('sha256').update(plain).digest('hex');
    if (this.known.has(id) || this.claimed.has(id)) {
      this.stats.reusedChunks++;
      return id;
    }
    this.claimed.add(id);
    const compressed = await this.compressor.compress(plain);
    const blob = this.repository.cipher ? this.repository.cipher.seal(compressed, id) : compressed;
    await this.serially(async () => {
      if (this.size + blob.length > this.maxPackBytes && this.blobs.length > 0) await this.upload();
      this.pending.set(id, { offset: this.size, length: blob.length, size: plain.length });
      this.blobs.push(blob);
      this.size += blob.length;
      this.stats.newChunks++;
    });
    return id;
  }

  /** Uploads the open pack, if any. Call after every add has settled, at the end of a backup. */
  flush(): Promise<void> {
    return this.serially(() => this.upload());
  }

  private serially(fn: () => Promise<void>): Promise<void> {
    const next = this.tail.then(fn);
    this.tail = next.catch(() => undefined);
    return next;
  }

  private async upload(): Promise<void> {
    if (this.blobs.length === 0) return;
    const bytes = Buffer.concat(this.blobs, this.size);
    const name = createHash('sha256').update(bytes).digest('hex');
    const index = Object.fromEntries(this.pending);
    this.stats.bytesUploaded += await this.repository.putPack(name, bytes, index);
    this.stats.packs++;
    for (const [id, loc] of this.pending) {
      this.known.set(id, { pack: name, ...loc });
      this.claimed.delete(id);
    }
    this.blobs = [];
    this.pending = new Map();
    this.size = 0;
  }
}
