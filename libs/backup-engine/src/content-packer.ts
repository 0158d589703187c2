import { createHash, type Hash } from 'node:crypto';
import { abortable, throwIfAborted } from './abort';
import { GearChunker, type ChunkerOptions } from './gear-chunker';
import type { BackupStats, ChunkLocation } from './manifest';
import type { PackWriter } from './pack-writer';

/** One content as a backup entry records it. */
export interface PackedContent {
  size: number;
  sha256: string;
  chunks: string[];
}

/** Where the chunks a backup uses lie, as its manifest records them. */
export interface UsedChunks {
  chunks: Record<string, ChunkLocation>;
  packs: string[];
  sizeBeforeCompression: number;
  sizeAfterCompression: number;
}

/**
 * Chunks the contents of one backup into a PackWriter, at most `parallelChunks` chunks in
 * flight, and keeps the chunks the backup uses: new, already stored, or reused unread from
 * the parent backup.
 */
export class ContentPacker {
  private readonly chunker: GearChunker;
  private readonly used = new Set<string>();
  private readonly window: Promise<string>[] = [];
  private reusedFromParent = 0;
  /** Plaintext bytes read so far (files read again and streams; not the files reused from the parent). */
  bytesRead = 0;

  constructor(
    private readonly writer: PackWriter,
    private readonly settings: { chunker: ChunkerOptions; parallelChunks: number },
    private readonly signal: AbortSignal | undefined,
    private readonly aborted: () => Error,
    /** Throws when the backup must stop (aborted, or its repository lock no longer held). */
    private readonly stopIfAborted: () => void = () => throwIfAborted(signal, aborted),
  ) {
    this.chunker = new GearChunker(settings.chunker);
  }

  /** Chunks already stored in the repository or packed by this backup, by id. */
  get known(): ReadonlyMap<string, ChunkLocation> {
    return this.writer.known;
  }

  /** Chunks and packs `data`; `onBytes` hears of every chunk read. */
  async pack(data: AsyncIterable<Buffer>, onBytes: (n: number) => void): Promise<PackedContent> {
    // A content of one chunk has the chunk's id as its digest: it is hashed again only once a second chunk comes.
    let hash: Hash | undefined;
    let first: Buffer | undefined;
    const pendingIds: Promise<string>[] = [];
    let size = 0;
    try {
      for await (const chunk of this.chunker.chunks(abortable(data, this.signal, this.aborted))) {
        this.stopIfAborted(); // before the writer decides to reuse a stored chunk or upload it
        if (pendingIds.length === 0) first = chunk;
        else {
          if (!hash) {
            hash = createHash('sha256').update(first!);
            first = undefined;
          }
          hash.update(chunk);
        }
        size += chunk.length;
        const added = this.writer.add(chunk);
        added.catch(() => undefined); // awaited below; this only keeps it from counting as unhandled
        pendingIds.push(added);
        this.window.push(added);
        if (this.window.length >= this.settings.parallelChunks) await this.window.shift();
        onBytes(chunk.length);
      }
    } finally {
      await Promise.allSettled(pendingIds); // never leave compressions running behind a failure
    }
    const chunks = await Promise.all(pendingIds);
    for (const chunkId of chunks) this.used.add(chunkId);
    this.bytesRead += size;
    const sha256 = hash ? hash.digest('hex') : chunks.length === 1 ? chunks[0] : createHash('sha256').digest('hex');
    return { size, sha256, chunks };
  }

  /** Counts the chunks of a file the parent backup holds unchanged (not read again) as used. */
  reuse(chunks: string[]): void {
    for (const chunkId of chunks) this.used.add(chunkId);
    this.reusedFromParent += chunks.length;
  }

  /** Uploads the last pack; the chunks' locations are final once this resolves. */
  flush(): Promise<void> {
    return this.writer.flush();
  }

  /** The used chunks' locations, in id order, with the packs holding them (call after flush). */
  usedChunks(): UsedChunks {
    const chunks: Record<string, ChunkLocation> = {};
    const packs = new Set<string>();
    let sizeBeforeCompression = 0;
    let sizeAfterCompression = 0;
    for (const chunkId of [...this.used].sort()) {
      const loc = this.writer.known.get(chunkId);
      if (!loc) throw new Error(`internal: chunk ${chunkId} has no location after flush`);
      chunks[chunkId] = loc;
      packs.add(loc.pack);
      sizeBeforeCompression += loc.size;
      sizeAfterCompression += loc.length;
    }
    return { chunks, packs: [...packs].sort(), sizeBeforeCompression, sizeAfterCompression };
  }

  /** The backup's stats without its duration; `reusedChunks` counts the parent's too. */
  stats(used: UsedChunks): Omit<BackupStats, 'durationMs'> {
    const { bytesUploaded, packs, newChunks } = this.writer.stats;
    return {
      bytesRead: this.bytesRead,
      bytesUploaded,
      packs,
      newChunks,
      reusedChunks: this.writer.stats.reusedChunks + this.reusedFromParent,
      sizeBeforeCompression: used.sizeBeforeCompression,
      sizeAfterCompression: used.sizeAfterCompression,
    };
  }
}
