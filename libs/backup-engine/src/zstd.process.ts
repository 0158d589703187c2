import { spawn } from 'node:child_process';
import { BackupEngineError, BackupErrorCode, CompressorUnavailableError } from './errors';
import { decodeStoredFrame, looksIncompressible, rawFrame } from './zstd-frame';

/** Compresses and decompresses whole chunks. */
export interface Compressor {
  compress(data: Buffer): Promise<Buffer>;
  decompress(data: Buffer): Promise<Buffer>;
}

/**
 * zstd through the system binary (`/usr/bin/zstd`), one process per chunk: the fallback
 * where the native binding (ZstdNative) has no build. Each chunk is its own zstd frame, so
 * any chunk of a pack decodes on its own. Chunks that look incompressible skip the process
 * and are stored as a frame of raw blocks, which the binary reads like any other.
 */
export class ZstdProcess implements Compressor {
  constructor(
    private readonly level = 3,
    private readonly binary = process.env.LOCKSTEP_ZSTD_BIN ?? 'zstd',
  ) {}

  /** Compresses one chunk into one zstd frame (raw blocks when compression would not pay). */
  compress(data: Buffer): Promise<Buffer> {
    if (looksIncompressible(data)) return Promise.resolve(rawFrame(data));
    return this.run([`-${this.level}`, '-q', '-c', '--no-check'], data, 'compress');
  }

  /** Decompresses one zstd frame; frames of raw blocks are copied out without a process. */
  decompress(data: Buffer): Promise<Buffer> {
    const stored = decodeStoredFrame(data);
    if (stored) return Promise.resolve(stored);
    return this.run(['-d', '-q', '-c'], data, 'decompress');
  }

  private run(args: string[], input: Buffer, action: string): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.binary, args, { stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => err.push(b));
      child.stdin.on('error', () => undefined); // reported through exit code
      child.on('error', (cause) =>
        reject(
          new CompressorUnavailableError(
            `zstd ${action} could not start (${this.binary}): install the zstd package or set LOCKSTEP_ZSTD_BIN`,
            { cause },
          ),
        ),
      );
      child.on('close', (code, signal) => {
        if (code === 0) resolve(Buffer.concat(out));
        else if (code === null)
          reject(new CompressorUnavailableError(`zstd ${action} was killed (${signal}); the data was not at fault`));
        else
          reject(
            new BackupEngineError(
              BackupErrorCode.Compression,
              `zstd ${action} failed with exit code ${code}: ${Buffer.concat(err).toString().trim()}`,
            ),
          );
      });
      child.stdin.end(input);
    });
  }
}
