import { createHash, randomBytes } from 'node:crypto';
import { GearChunker } from './gear-chunker';

const small = { minSize: 2 * 1024, avgSize: 8 * 1024, maxSize: 32 * 1024 };
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function* pieces(data: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

async function chunk(sut: GearChunker, data: Buffer, pieceSize = 4096): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const c of sut.chunks(pieces(data, pieceSize))) out.push(c);
  return out;
}

describe(GearChunker.name, () => {
  const data = randomBytes(2 * 1024 * 1024);

  it('reassembles the input and respects the size limits', async () => {
    const sut = new GearChunker(small);

    const chunks = await chunk(sut, data);

    expect(Buffer.concat(chunks).equals(data)).toBe(true);
    chunks.slice(0, -1).forEach((c) => {
      expect(c.length).toBeGreaterThanOrEqual(small.minSize);
      expect(c.length).toBeLessThanOrEqual(small.maxSize);
    });
    const avg = data.length / chunks.length;
    expect(avg).toBeGreaterThan(small.avgSize / 2);
    expect(avg).toBeLessThan(small.avgSize * 2);
  });

  it.each([7, 1000, 65536, 1 << 20])('cuts at the same places whatever the read size (%i)', async (pieceSize) => {
    const sut = new GearChunker(small);

    const a = (await chunk(sut, data, 4096)).map(sha);
    const b = (await chunk(sut, data, pieceSize)).map(sha);

    expect(b).toEqual(a);
  });

  it('keeps most chunk ids when bytes are inserted early in the file', async () => {
    const sut = new GearChunker(small);
    const edited = Buffer.concat([data.subarray(0, 1000), randomBytes(37), data.subarray(1000)]);

    const before = new Set((await chunk(sut, data)).map(sha));
    const after = (await chunk(sut, edited)).map(sha);

    const kept = after.filter((id) => before.has(id)).length;
    expect(kept / after.length).toBeGreaterThan(0.95);
  });

  it('cuts at maxSize in data without boundaries', async () => {
    const sut = new GearChunker(small);

    const chunks = await chunk(sut, Buffer.alloc(100 * 1024));

    expect(chunks.map((c) => c.length)).toEqual([32768, 32768, 32768, 4096]);
  });

  it('handles the default 256 KiB / 1 MiB / 4 MiB limits', async () => {
    const sut = new GearChunker();
    const big = randomBytes(12 * 1024 * 1024);

    const chunks = await chunk(sut, big, 65536);

    expect(Buffer.concat(chunks).equals(big)).toBe(true);
    expect(chunks.length).toBeGreaterThan(3);
  });

  it('cuts where every earlier version cut (chunk ids, and so dedup, carry across versions)', async () => {
    const sut = new GearChunker(small);
    const fixed = Buffer.concat(
      Array.from({ length: 8192 }, (_, i) => createHash('sha256').update(`pin-${i}`).digest()),
    );

    const sizes = (await chunk(sut, fixed, 5000)).map((c) => c.length);

    expect(sizes).toEqual([
      8640, 10777, 8541, 8258, 8752, 8997, 9921, 9506, 9116, 4256, 9128, 7955, 10869, 10115, 9127, 8539, 7011, 3990,
      8255, 9298, 7743, 8699, 10741, 7537, 9206, 9353, 10020, 10044, 8523, 9227,
    ]);
  });

  it('yields a chunk that lies within one piece without copying it', async () => {
    const sut = new GearChunker(small);
    const piece = randomBytes(1500);
    const source = async function* () {
      yield piece;
    };

    const chunks: Buffer[] = [];
    for await (const c of sut.chunks(source())) chunks.push(c);

    expect(chunks).toHaveLength(1);
    expect(chunks[0]).toBe(piece);
  });

  it('cuts the same in one piece larger than the scan window as in small pieces', async () => {
    const sut = new GearChunker();
    const big = randomBytes(12 * 1024 * 1024);

    const [whole, split] = [(await chunk(sut, big, big.length)).map(sha), (await chunk(sut, big, 65536)).map(sha)];

    expect(whole).toEqual(split);
  });
});
