/**
 * Zstandard frames built and read in plain JS, for data not worth compressing: a frame of
 * raw blocks (RFC 8878 §3.1) is what zstd itself writes for incompressible input, so
 * every zstd decoder (the `zstd` binary, the native binding, older Lockstep versions)
 * reads these chunks unchanged, and writing one costs a copy instead of a compression.
 */

const MAGIC = 0xfd2fb528;
/** Largest block a frame may hold (Block_Maximum_Size). */
const MAX_BLOCK = 128 * 1024;
const BLOCK_RAW = 0;
const BLOCK_RLE = 1;
/** Frame header descriptor: single segment (no window descriptor), 4-byte content size, no checksum, no dictionary. */
const FHD_SINGLE_SEGMENT_FCS4 = 0xa0;

/** Bytes a raw frame adds to its content. */
export const rawFrameOverhead = (size: number): number => 9 + 3 * Math.max(1, Math.ceil(size / MAX_BLOCK));

/** Wraps `data` (under 4 GiB) in a zstd frame of raw blocks; the frame records its content size. */
export function rawFrame(data: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(data.length + rawFrameOverhead(data.length));
  out.writeUInt32LE(MAGIC, 0);
  out[4] = FHD_SINGLE_SEGMENT_FCS4;
  out.writeUInt32LE(data.length, 5);
  let o = 9;
  let i = 0;
  do {
    const n = Math.min(MAX_BLOCK, data.length - i);
    const last = i + n === data.length ? 1 : 0;
    out.writeUIntLE((n << 3) | (BLOCK_RAW << 1) | last, o, 3);
    out.set(data.subarray(i, i + n), o + 3);
    o += 3 + n;
    i += n;
  } while (i < data.length);
  return out;
}

/**
 * Decodes a single zstd frame when every block in it is raw or RLE (as rawFrame writes, and
 * as zstd writes for incompressible data); returns undefined for anything else (compressed
 * blocks, skippable or several frames, checksums), which a real decoder must then handle.
 */
export function decodeStoredFrame(frame: Uint8Array): Buffer | undefined {
  if (frame.length < 6) return undefined;
  const view = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  if (view.readUInt32LE(0) !== MAGIC) return undefined;
  const fhd = view[4];
  const fcsFlag = fhd >> 6;
  const singleSegment = (fhd >> 5) & 1;
  if (fhd & 0x08 || fhd & 0x04 || fhd & 0x03) return undefined; // reserved bit, checksum, dictionary: leave to zstd
  const fcsBytes = [singleSegment ? 1 : 0, 2, 4, 8][fcsFlag];
  let o = 5 + (singleSegment ? 0 : 1) + fcsBytes;
  const parts: Buffer[] = [];
  let size = 0;
  for (;;) {
    if (o + 3 > view.length) return undefined;
    const header = view.readUIntLE(o, 3);
    const type = (header >> 1) & 3;
    const n = header >>> 3;
    o += 3;
    if (type === BLOCK_RAW) {
      if (o + n > view.length) return undefined;
      parts.push(view.subarray(o, o + n));
      o += n;
    } else if (type === BLOCK_RLE) {
      if (o + 1 > view.length) return undefined;
      parts.push(Buffer.alloc(n, view[o]));
      o += 1;
    } else return undefined;
    size += n;
    if (header & 1) break;
  }
  if (o !== view.length) return undefined;
  if (fcsBytes > 0 && fcsBytes <= 4) {
    const declared =
      fcsBytes === 1
        ? view[5 + (singleSegment ? 0 : 1)]
        : fcsBytes === 2
          ? view.readUInt16LE(5 + (singleSegment ? 0 : 1)) + 256
          : view.readUInt32LE(5 + (singleSegment ? 0 : 1));
    if (declared !== size) return undefined;
  }
  return Buffer.concat(parts, size);
}

/**
 * Bytes sampled per chunk by looksIncompressible (spread over the chunk in slices): with 4 KiB,
 * random data still scores at least 7.98 (5,000 trials), well clear of the threshold.
 */
const SAMPLE_BYTES = 4 * 1024;
const SAMPLE_SLICES = 16;
/** Below this estimated byte entropy (bits per byte) a chunk is worth compressing. */
const INCOMPRESSIBLE_BITS = 7.9;
const counts = new Uint32Array(256);

/**
 * A cheap guess whether zstd would gain next to nothing on `data`: the order-0 byte entropy
 * of up to 4 KiB sampled in slices across it, bias-corrected (Miller–Madow), is above 7.9
 * bits per byte. True for random, encrypted and already-compressed data (media, archives);
 * false for text, JSON, logs and most binaries. Chunks under 4 KiB always count as compressible.
 */
export function looksIncompressible(data: Uint8Array): boolean {
  if (data.length < 4096) return false;
  counts.fill(0);
  const sliceLen = Math.min(data.length, SAMPLE_BYTES) / SAMPLE_SLICES;
  const step = (data.length - sliceLen) / (SAMPLE_SLICES - 1);
  let total = 0;
  for (let s = 0; s < SAMPLE_SLICES; s++) {
    const from = Math.floor(s * step);
    const to = from + Math.floor(sliceLen);
    for (let i = from; i < to; i++) counts[data[i]]++;
    total += to - from;
  }
  let entropy = 0;
  let seen = 0;
  for (let b = 0; b < 256; b++) {
    const c = counts[b];
    if (c === 0) continue;
    seen++;
    const p = c / total;
    entropy -= p * Math.log2(p);
  }
  entropy += (seen - 1) / (2 * total * Math.LN2);
  return entropy > INCOMPRESSIBLE_BITS;
}
