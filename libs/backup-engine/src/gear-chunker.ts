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

export const DEFAULT_CHUNKER_OPTIONS: ChunkerOptions = {
  minSize: 256 * 1024,
  avgSize: 1024 * 1024,
  maxSize: 4 * 1024 * 1024,
};

/**
 * The gear table is fixed (derived from sha256 of a constant) so that chunk boundaries and
 * thus chunk ids stay the same across processes and versions; dedup depends on it. Held as
 * signed 32-bit values so the hash loop stays in small-integer arithmetic (the low 32 bits,
 * all the masks look at, are the same as with unsigned values).
 */
const GEAR: Int32Array = (() => {
  const table = new Int32Array(256);
  for (let i = 0; i < 256; i++) table[i] = createHash('sha256').update(`lockstep-gear-${i}`).digest().readInt32BE(0);
  return table;
})();

/** A mask of the top `bits` bits: the gear hash shifts left, so high bits see the most bytes. */
const topMask = (bits: number): number => (bits >= 32 ? -1 : (-1 << (32 - bits)) | 0);

/**
 * The scan loop in WebAssembly: V8 runs it about twice as fast as the same loop in JS (no
 * bounds or type checks per byte). Built with wat2wasm (wabt 1.0.32) from this text:
 *
 *   (module
 *     ;; memory: gear table (256 x i32) at 0, the bytes to scan from DATA (1024)
 *     (memory (export "memory") 17)
 *     (global $hash (export "hash") (mut i32) (i32.const 0))
 *     ;; scans [from, to); the strict mask applies below avgEnd; returns the offset after
 *     ;; the cut byte, or -1 with the hash left in $hash
 *     (func (export "findCut") (param $from i32) (param $to i32) (param $avgEnd i32)
 *         (param $maskS i32) (param $maskL i32) (param $h i32) (result i32)
 *       (local $i i32) (local $end i32)
 *       (local.set $i (local.get $from))
 *       (local.set $end (select (local.get $avgEnd) (local.get $to) (i32.lt_s (local.get $avgEnd) (local.get $to))))
 *       (block $strictDone
 *         (loop $strict
 *           (br_if $strictDone (i32.ge_s (local.get $i) (local.get $end)))
 *           (local.set $h (i32.add (i32.shl (local.get $h) (i32.const 1))
 *                                  (i32.load (i32.shl (i32.load8_u (local.get $i)) (i32.const 2)))))
 *           (local.set $i (i32.add (local.get $i) (i32.const 1)))
 *           (if (i32.eqz (i32.and (local.get $h) (local.get $maskS))) (then (return (local.get $i))))
 *           (br $strict)))
 *       (block $looseDone
 *         (loop $loose
 *           (br_if $looseDone (i32.ge_s (local.get $i) (local.get $to)))
 *           (local.set $h (i32.add (i32.shl (local.get $h) (i32.const 1))
 *                                  (i32.load (i32.shl (i32.load8_u (local.get $i)) (i32.const 2)))))
 *           (local.set $i (i32.add (local.get $i) (i32.const 1)))
 *           (if (i32.eqz (i32.and (local.get $h) (local.get $maskL))) (then (return (local.get $i))))
 *           (br $loose)))
 *       (global.set $hash (local.get $h))
 *       (i32.const -1)))
 */
const GEAR_WASM =
  'AGFzbQEAAAABCwFgBn9/f39/fwF/AwIBAAUDAQARBgYBfwFBAAsHGwMGbWVtb3J5AgAEaGFzaAMAB2ZpbmRDdXQAAAqHAQGEAQECfyAAIQYgAiABIAIgAUgbIQcCQANAIAYgB04NASAFQQF0IAYtAABBAnQoAgBqIQUgBkEBaiEGIAUgA3FFBEAgBg8LDAALCwJAA0AgBiABTg0BIAVBAXQgBi0AAEECdCgCAGohBSAGQQFqIQYgBSAEcUUEQCAGDwsMAAsLIAUkAEF/Cw==';
/** Where scanned bytes are copied in the module's memory, and how many fit (17 pages less the table). */
const DATA = 1024;
const WINDOW = 17 * 65536 - DATA;

/** The module's exports. */
interface GearScanner {
  memory: { buffer: ArrayBuffer };
  hash: { value: number };
  findCut(from: number, to: number, avgEnd: number, maskS: number, maskL: number, h: number): number;
}

/** The little of the WebAssembly API used here (the build's `lib` has no DOM typings, where its types live). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
}

const scanner: GearScanner = (() => {
  const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
  const exports = new wasm.Instance(new wasm.Module(Buffer.from(GEAR_WASM, 'base64'))).exports as GearScanner;
  new Int32Array(exports.memory.buffer, 0, 256).set(GEAR);
  return exports;
})();
const scanned = new Uint8Array(scanner.memory.buffer, DATA, WINDOW);

/** Hash state carried between scans of one chunk when more data is needed. */
let carried = 0;

/**
 * Rolls the gear hash over buf[from, to) starting from hash `h`; returns the index after
 * the first byte where the hash matches the mask in force there (`maskS` before `avgEnd`,
 * `maskL` from it), or -1 with the final hash in `carried`. The bytes are copied into the
 * scanner's memory a window at a time.
 */
function findCut(
  buf: Uint8Array,
  from: number,
  to: number,
  avgEnd: number,
  maskS: number,
  maskL: number,
  h: number,
): number {
  for (let at = from; at < to; at += WINDOW) {
    const n = Math.min(WINDOW, to - at);
    scanned.set(buf.subarray(at, at + n));
    // avgEnd relative to the window, clamped so it stays a valid i32 whatever the chunk size
    const strictEnd = Math.max(-1, Math.min(avgEnd - at, WINDOW + 1));
    const cut = scanner.findCut(DATA, DATA + n, DATA + strictEnd, maskS, maskL, h);
    if (cut >= 0) return at + cut - DATA;
    h = scanner.hash.value;
  }
  carried = h;
  return -1;
}

/** The chunk made of `parts` (whole pieces or their tails) and `tail`: no copy when it lies in one piece. */
function assemble(parts: Buffer[], tail: Buffer, size: number): Buffer {
  if (parts.length === 0) return tail;
  if (parts.length === 1 && tail.length === 0) return parts[0];
  parts.push(tail);
  return Buffer.concat(parts, size);
}

const toBuffer = (piece: Buffer | Uint8Array | string): Buffer =>
  typeof piece === 'string'
    ? Buffer.from(piece)
    : Buffer.isBuffer(piece)
      ? piece
      : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);

/**
 * FastCDC-style content-defined chunker (gear rolling hash with normalized chunking: a
 * stricter mask before the average size, a looser one after). Feed it any stream; it holds
 * at most one maximum-size chunk plus the piece being scanned.
 *
 * The hash runs over the source's pieces in place: a chunk that lies within one piece is
 * yielded as a view of it (a small file read in one piece is yielded as is), one that spans
 * pieces is copied together once. So a source must not reuse a buffer it has yielded (Node
 * streams and readFilePieces never do).
 */
export class GearChunker {
  private readonly maskS: number;
  private readonly maskL: number;

  constructor(private readonly options: ChunkerOptions = DEFAULT_CHUNKER_OPTIONS) {
    const bits = Math.log2(options.avgSize);
    if (!Number.isInteger(bits)) throw new Error(`chunker avgSize must be a power of two, got ${options.avgSize}`);
    if (!(options.minSize < options.avgSize && options.avgSize < options.maxSize))
      throw new Error('chunker sizes must satisfy min < avg < max');
    this.maskS = topMask(bits + 2);
    this.maskL = topMask(bits - 2);
  }

  /** Splits a byte stream into chunks; the caller may keep every yielded Buffer (see the class comment). */
  async *chunks(
    source: AsyncIterable<Buffer | Uint8Array | string> | Iterable<Buffer | Uint8Array | string>,
  ): AsyncGenerator<Buffer> {
    const { minSize, avgSize, maxSize } = this.options;
    const { maskS, maskL } = this;
    let parts: Buffer[] = []; // earlier pieces (or their tails) of the current chunk
    let held = 0; // bytes of the current chunk in `parts`
    let h = 0; // gear hash, carried across pieces

    for await (const piece of source) {
      let data = toBuffer(piece);
      while (data.length > 0) {
        if (held + data.length <= minSize) {
          parts.push(data);
          held += data.length;
          break;
        }
        // offsets in `data`: hashing starts at the chunk's minSize, the mask loosens at avgSize, maxSize forces a cut
        let from = 0;
        if (held < minSize) {
          from = minSize - held;
          h = 0;
        }
        const limit = Math.min(data.length, maxSize - held);
        let cut = findCut(data, from, limit, avgSize - held, maskS, maskL, h);
        if (cut < 0) {
          if (limit < maxSize - held) {
            h = carried;
            parts.push(data);
            held += data.length;
            break;
          }
          cut = limit;
        }
        yield assemble(parts, data.subarray(0, cut), held + cut);
        parts = [];
        held = 0;
        h = 0;
        data = data.subarray(cut);
      }
    }
    if (held > 0) yield assemble(parts, Buffer.alloc(0), held);
  }
}
