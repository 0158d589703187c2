import { createHash } from 'node:crypto';

/** Size limits of content-defined chunks, in bytes. */
export interface ChunkerOptions {
  /** No cut before this many bytes (the hash is not even computed there). */
  minSize: number;
  /** Target average; must be a power of two. */
  avgSize: number;
  /** Forced cut at this size. */
  maxSize: number;
}

export const DEFAULT_CHUNKER_OPTIONS: ChunkerOptions = { minSize: 256 * 1024, avgSize: 1024 * 1024, maxSize: 4 * 1024 * 1024 };

/**
 * The gear table is fixed (derived from sha256 of a constant) so that chunk boundaries and
 * thus chunk ids stay the same across processes and versions; dedup depends on it.
 */
const GEAR: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) table[i] = createHash('sha256').update(`lockstep-gear-${i}`).digest().readUInt32BE(0);
  return table;
})();

/** A mask of the top `bits` bits: the gear hash shifts left, so high bits see the most bytes. */
const topMask = (bits: number): number => (bits >= 32 ? 0xffffffff : ((0xffffffff << (32 - bits)) >>> 0));

/**
 * FastCDC-style content-defined chunker (gear rolling hash with normalized chunking: a
 * stricter mask before the average size, a looser one after). Feed it any stream; it holds
 * at most about two maximum-size chunks in memory.
 */
export class GearChunker {
  private readonly maskS: number;
  private readonly maskL: number;

  constructor(private readonly options: ChunkerOptions = DEFAULT_CHUNKER_OPTIONS) {
    const bits = Math.log2(options.avgSize);
    if (!Number.isInteger(bits)) throw new Error(`chunker avgSize must be a power of two, got ${options.avgSize}`);
    if (!(options.minSize < options.avgSize && options.avgSize < options.maxSize)) throw new Error('chunker sizes must satisfy min < avg < max');
    this.maskS = topMask(bits + 2);
    this.maskL = topMask(bits - 2);
  }

  /** Splits a byte stream into chunks; each yielded Buffer is owned by the caller. */
  async *chunks(source: AsyncIterable<Buffer | Uint8Array | string>): AsyncGenerator<Buffer> {
    const { minSize, avgSize, maxSize } = this.options;
    const buf = Buffer.allocUnsafe(maxSize * 2);
    let start = 0; // first byte of the current chunk
    let len = 0; // bytes held
    let pos = 0; // next byte to hash
    let h = 0;
    const { maskS, maskL } = this;

    const scan = (): number => {
      // returns the cut offset (exclusive), or -1 when more data is needed
      if (pos < start + minSize) {
        if (len < start + minSize) return -1;
        pos = start + minSize;
        h = 0;
      }
      const limit = Math.min(len, start + maxSize);
      const avgEnd = start + avgSize;
      for (let i = pos; i < limit; i++) {
        h = ((h << 1) + GEAR[buf[i]]) >>> 0;
        if ((h & (i < avgEnd ? maskS : maskL)) === 0) {
          pos = i + 1;
          return pos;
        }
      }
      pos = limit;
      return limit === start + maxSize ? limit : -1;
    };

    for await (const piece of source) {
      let data = typeof piece === 'string' ? Buffer.from(piece) : Buffer.isBuffer(piece) ? piece : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
      while (data.length > 0) {
        if (len === buf.length) {
          buf.copy(buf, 0, start, len);
          len -= start;
          pos -= start;
          start = 0;
        }
        const n = Math.min(data.length, buf.length - len);
        data.copy(buf, len, 0, n);
        len += n;
        data = data.subarray(n);
        for (let cut = scan(); cut >= 0; cut = scan()) {
          yield Buffer.from(buf.subarray(start, cut));
          start = cut;
          pos = cut;
          h = 0;
        }
      }
    }
    if (len > start) yield Buffer.from(buf.subarray(start, len));
  }
}
