import { BackupEngineError, BackupErrorCode } from './errors';
import { decodeStoredFrame, looksIncompressible, rawFrame } from './zstd-frame';
import { ZstdProcess, type Compressor } from './zstd.process';

/**
 * The two calls Lockstep uses from `@mongodb-js/zstd` 1.x: N-API, prebuilt per platform in
 * registry packages (nothing downloaded or compiled at install), run on libuv's thread pool.
 */
export interface ZstdBinding {
  compress(data: Buffer, level?: number): Promise<Buffer>;
  decompress(data: Buffer): Promise<Buffer>;
}

let binding: ZstdBinding | null | undefined;

/** The native zstd binding, or undefined when this platform has no prebuilt one. */
export function loadZstdBinding(): ZstdBinding | undefined {
  if (binding === undefined) {
    // The package's own entry drops the level argument (always level 3); its N-API entry takes it.
    for (const name of ['@mongodb-js/zstd/bindings', '@mongodb-js/zstd']) {
      try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        binding = require(name) as ZstdBinding;
        break;
      } catch {
        binding = null;
      }
    }
  }
  return binding ?? undefined;
}

/**
 * zstd in-process through the native binding: each chunk is one frame, compressed on libuv's
 * thread pool so several chunks compress at once while the event loop hashes and uploads.
 * Chunks that look incompressible (random, encrypted, already compressed) are stored as a
 * frame of raw blocks without running zstd; any zstd decoder reads either kind, so packs
 * stay readable by ZstdProcess and by older Lockstep versions, and this reads theirs.
 */
export class ZstdNative implements Compressor {
  constructor(
    private readonly level = 3,
    private readonly zstd: ZstdBinding = requireBinding(),
  ) {}

  /** Compresses one chunk into one zstd frame (raw blocks when compression would not pay). */
  async compress(data: Buffer): Promise<Buffer> {
    if (looksIncompressible(data)) return rawFrame(data);
    try {
      return await this.zstd.compress(data, this.level);
    } catch (cause) {
      throw new BackupEngineError(
        BackupErrorCode.Compression,
        `zstd compress failed in the native binding: ${(cause as Error).message}`,
        { cause },
      );
    }
  }

  /** Decompresses one zstd frame; frames of raw blocks are copied out without the binding. */
  async decompress(data: Buffer): Promise<Buffer> {
    const stored = decodeStoredFrame(data);
    if (stored) return stored;
    try {
      return await this.zstd.decompress(data);
    } catch (cause) {
      throw new BackupEngineError(
        BackupErrorCode.Compression,
        `zstd decompress failed in the native binding: ${(cause as Error).message}`,
        { cause },
      );
    }
  }
}

function requireBinding(): ZstdBinding {
  const found = loadZstdBinding();
  if (!found)
    throw new BackupEngineError(
      BackupErrorCode.Compression,
      'the native zstd binding (@mongodb-js/zstd) has no build for this platform: use ZstdProcess (the zstd binary) instead',
    );
  return found;
}

/**
 * The compressor a backup engine should use: ZstdNative where the binding loads (every
 * platform @mongodb-js/zstd ships a build for), else ZstdProcess over the `zstd` binary.
 */
export function defaultCompressor(level = 3): Compressor {
  const found = loadZstdBinding();
  return found ? new ZstdNative(level, found) : new ZstdProcess(level);
}
