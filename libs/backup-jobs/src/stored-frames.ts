import { rawFrame, type Compressor } from '@lockstep/backup-engine';

/**
 * `--no-compress`: writes each chunk as a zstd frame of raw (stored) blocks, so packs keep
 * one format and any zstd decoder reads them; decompression is delegated to the real
 * compressor, which handles stored and compressed frames alike.
 */
export class StoredFrames implements Compressor {
  constructor(private readonly reader: Compressor) {}

  compress(data: Buffer): Promise<Buffer> {
    return Promise.resolve(rawFrame(data));
  }

  decompress(data: Buffer): Promise<Buffer> {
    return this.reader.decompress(data);
  }
}
