import { createHash } from 'node:crypto';
import { ObjectNotFoundError } from '@lockstep/storage';
import type { BackupBucket } from './backup-bucket';
import { CompressorUnavailableError } from './errors';
import type { ChunkLocation } from './manifest';
import type { Compressor } from './zstd.process';

/** A chunk could not be read back intact; `pack` names the pack that holds it. */
export class ChunkReadError extends Error {
  override name = 'ChunkReadError';
  constructor(
    readonly pack: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The part of BackupBucket the reader needs. */
export type PackSource = Pick<BackupBucket, 'cipher' | 'getPack'>;

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/**
 * Reads chunks back out of packs. Every pack is checked against its name (sha256 of its
 * bytes) when downloaded; every chunk is decrypted, decompressed and checked against its id.
 * Keeps the last few packs in memory (each at most 16 MiB) so reading files in backup order
 * downloads each pack about once.
 */
export class PackReader {
  private readonly cache = new Map<string, Buffer | Error>();
  /** Every pack this reader downloaded. */
  readonly loaded = new Set<string>();

  constructor(
    private readonly repository: PackSource,
    private readonly compressor: Compressor,
    private readonly cachedPacks = 2,
  ) {}

  /** Returns a chunk's plaintext, or throws ChunkReadError naming its pack. */
  async readChunk(id: string, loc: ChunkLocation): Promise<Buffer> {
    const pack = await this.loadPack(loc.pack);
    const blob = pack.subarray(loc.offset, loc.offset + loc.length);
    if (blob.length !== loc.length)
      throw new ChunkReadError(loc.pack, `chunk ${id} lies past the end of pack ${loc.pack}`);
    let compressed = blob;
    if (this.repository.cipher) {
      try {
        compressed = this.repository.cipher.open(blob, id);
      } catch (cause) {
        throw new ChunkReadError(loc.pack, `chunk ${id} in pack ${loc.pack} fails authentication`, { cause });
      }
    }
    let plain: Buffer;
    try {
      plain = await this.compressor.decompress(compressed);
    } catch (cause) {
      if (cause instanceof CompressorUnavailableError) throw cause; // a local failure, not damage
      throw new ChunkReadError(loc.pack, `chunk ${id} in pack ${loc.pack} does not decompress`, { cause });
    }
    if (plain.length !== loc.size || sha256(plain) !== id)
      throw new ChunkReadError(loc.pack, `chunk ${id} in pack ${loc.pack} has the wrong content hash`);
    return plain;
  }

  private async loadPack(name: string): Promise<Buffer> {
    const hit = this.cache.get(name);
    if (hit !== undefined) {
      this.cache.delete(name); // refresh LRU position
      this.cache.set(name, hit);
      if (hit instanceof Error) throw hit;
      return hit;
    }
    let entry: Buffer | Error;
    try {
      const bytes = await this.repository.getPack(name);
      entry =
        sha256(bytes) === name
          ? bytes
          : new ChunkReadError(name, `pack ${name} does not match its hash (altered or truncated)`);
    } catch (cause) {
      if (!(cause instanceof ObjectNotFoundError)) throw cause; // an outage or refused access is not damage: not cached, the caller sees it as it is
      entry = new ChunkReadError(name, `pack ${name} is missing from the bucket`, { cause });
    }
    this.loaded.add(name);
    this.cache.set(name, entry);
    while (this.cache.size > this.cachedPacks) this.cache.delete(this.cache.keys().next().value as string);
    if (entry instanceof Error) throw entry;
    return entry;
  }
}
