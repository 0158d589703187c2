import { closeSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';

/** How readFilePieces reads. */
export interface FileReadOptions {
  /** Largest piece yielded (default 1 MiB). */
  pieceBytes?: number;
  /**
   * Files expected to be smaller than this are read with blocking calls (default 64 KiB):
   * for a small file three thread-pool round trips (open, read, close) cost more than the
   * reads themselves, and the event loop is held for at most one small read.
   */
  syncBelow?: number;
}

/**
 * Reads a file as a stream of pieces for the chunker, each buffer sized to what is left of
 * `expectedSize` (its lstat size), so a 4 KiB file costs a 4 KiB buffer, not a 1 MiB
 * stream buffer (`fs.createReadStream` allocates its highWaterMark for every read, which
 * across thousands of small files keeps the garbage collector busy). A file that grew
 * since its lstat is read to its end all the same; a short read marks the end. Buffers are
 * never slices of Node's shared pool (Node 24 may hand out 64 KiB of it for a small
 * allocation), since the chunker keeps pieces and a kept slice pins the whole pool.
 */
export async function* readFilePieces(
  path: string,
  expectedSize: number,
  options: FileReadOptions = {},
): AsyncGenerator<Buffer> {
  const pieceBytes = options.pieceBytes ?? 1024 * 1024;
  let left = Math.max(0, expectedSize);
  // +1: a file that is exactly as expected ends with a short read, without one more read for EOF
  const nextSize = () => Math.min(pieceBytes, left + 1);
  if (expectedSize < (options.syncBelow ?? 64 * 1024)) {
    const fd = openSync(path, 'r');
    try {
      for (;;) {
        const buf = Buffer.allocUnsafeSlow(nextSize());
        const n = readSync(fd, buf, 0, buf.length, null);
        if (n > 0) yield n === buf.length ? buf : buf.subarray(0, n);
        if (n < buf.length) return;
        left = n > left ? pieceBytes : left - n; // grown past its lstat size: go on in whole pieces
      }
    } finally {
      closeSync(fd);
    }
  }
  const file = await open(path, 'r');
  try {
    for (;;) {
      const buf = Buffer.allocUnsafeSlow(nextSize());
      const { bytesRead: n } = await file.read(buf, 0, buf.length, null);
      if (n > 0) yield n === buf.length ? buf : buf.subarray(0, n);
      if (n < buf.length) return;
      left = n > left ? pieceBytes : left - n;
    }
  } finally {
    await file.close();
  }
}
