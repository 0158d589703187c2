import { randomBytes } from 'node:crypto';
import type { ChunkLocation } from './manifest';
import { FakePackStore, fakeCompressor } from './pack-io.fakes';
import { PackWriter, type PackSink } from './pack-writer';
import type { Compressor } from './zstd.process';

describe(PackWriter.name, () => {
  it('flushes packs before they pass the size limit and skips known chunks', async () => {
    const store = new FakePackStore();
    const known = new Map<string, ChunkLocation>();
    const sut = new PackWriter(store, fakeCompressor, known, 1000);
    const chunks = Array.from({ length: 7 }, () => randomBytes(299)); // 300 bytes stored each

    const ids = [];
    for (const c of chunks) ids.push(await sut.add(c));
    await sut.add(chunks[0]);
    await sut.flush();
    await sut.add(chunks[6]);
    await sut.flush();

    expect(store.packs.size).toBe(3);
    expect([...store.packs.values()].map((p) => p.length)).toEqual([900, 900, 300]);
    expect(sut.stats).toEqual({ bytesUploaded: 2100, packs: 3, newChunks: 7, reusedChunks: 2 });
    ids.forEach((id, i) => {
      const loc = known.get(id)!;
      const blob = store.packs.get(loc.pack)!.subarray(loc.offset, loc.offset + loc.length);
      expect(blob.subarray(1).equals(chunks[i])).toBe(true);
      expect(loc.size).toBe(299);
    });
  });

  it('starts a new pack after maxPackChunks chunks, however small they are', async () => {
    const store = new FakePackStore();
    const sut = new PackWriter(store, fakeCompressor, new Map(), 1000, { maxPackChunks: 4 });

    for (let i = 0; i < 10; i++) await sut.add(randomBytes(9));
    await sut.flush();

    expect([...store.packs.values()].map((p) => p.length)).toEqual([40, 40, 20]);
    expect([...store.indexes.values()].map((index) => Object.keys(index).length)).toEqual([4, 4, 2]);
  });

  it('writes nothing when every chunk is already known', async () => {
    const store = new FakePackStore();
    const first = new PackWriter(store, fakeCompressor, new Map());
    const data = randomBytes(100);
    await first.add(data);
    await first.flush();
    const sut = new PackWriter(store, fakeCompressor, first.known);

    await sut.add(data);
    await sut.flush();

    expect(sut.stats).toEqual({ bytesUploaded: 0, packs: 0, newChunks: 0, reusedChunks: 1 });
  });

  it('keeps packs consistent when chunks are added concurrently', async () => {
    const store = new FakePackStore();
    const sut = new PackWriter(store, fakeCompressor, new Map(), 1000);
    const chunks = Array.from({ length: 10 }, (_, i) => randomBytes(150 + i * 20));

    const ids = await Promise.all([...chunks, chunks[3]].map((c) => sut.add(c)));
    await sut.flush();

    expect(sut.stats.newChunks).toBe(10);
    expect(sut.stats.reusedChunks).toBe(1);
    [...store.packs.values()].forEach((p) => expect(p.length).toBeLessThanOrEqual(1000));
    ids.slice(0, 10).forEach((id, i) => {
      const loc = sut.known.get(id)!;
      expect(
        store.packs
          .get(loc.pack)!
          .subarray(loc.offset + 1, loc.offset + loc.length)
          .equals(chunks[i]),
      ).toBe(true);
    });
  });
});

/** A compressor whose calls finish when the test says so. */
function gatedCompressor() {
  const gates: Array<{ data: Buffer; open: () => void; fail: (err: Error) => void }> = [];
  const compressor: Compressor = {
    compress: (data) =>
      new Promise((resolve, reject) => {
        gates.push({ data, open: () => resolve(Buffer.concat([Buffer.from('Z'), data])), fail: reject });
      }),
    decompress: fakeCompressor.decompress,
  };
  return { compressor, gates };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe(`${PackWriter.name} pipeline`, () => {
  it('returns ids before chunks are packed and packs them in add order whatever order they compress in', async () => {
    const store = new FakePackStore();
    const { compressor, gates } = gatedCompressor();
    const sut = new PackWriter(store, compressor, new Map(), 1000, { concurrency: 3 });
    const chunks = [randomBytes(100), randomBytes(200), randomBytes(300)];

    const ids = [];
    for (const c of chunks) ids.push(await sut.add(c));
    [...gates].reverse().forEach((g) => g.open());
    await sut.flush();

    expect(store.packs.size).toBe(1);
    const pack = [...store.packs.values()][0];
    expect(pack.equals(Buffer.concat(chunks.map((c) => Buffer.concat([Buffer.from('Z'), c]))))).toBe(true);
    ids.forEach((id, i) => expect(sut.known.get(id)?.size).toBe(chunks[i].length));
  });

  it('makes add wait while the queue is full', async () => {
    const { compressor, gates } = gatedCompressor();
    const sut = new PackWriter(new FakePackStore(), compressor, new Map(), 1000, {
      concurrency: 1,
      maxQueuedChunks: 2,
    });
    await sut.add(randomBytes(10));
    await sut.add(randomBytes(10));

    let third = false;
    const pending = sut.add(randomBytes(10)).then(() => (third = true));
    await settle();
    const waited = !third;
    gates[0].open();
    await pending;

    expect(waited).toBe(true);
    expect(third).toBe(true);
  });

  it('throws a compression failure from flush and from later adds', async () => {
    const { compressor, gates } = gatedCompressor();
    const sut = new PackWriter(new FakePackStore(), compressor, new Map(), 1000);
    await sut.add(randomBytes(10));
    gates[0].fail(new Error('zstd broke'));
    await settle();

    const [late, flushed] = [
      await sut.add(randomBytes(10)).catch((e: unknown) => e),
      await sut.flush().catch((e: unknown) => e),
    ];

    expect((late as Error).message).toBe('zstd broke');
    expect((flushed as Error).message).toBe('zstd broke');
  });

  it('throws an upload failure from flush, after the other uploads ended', async () => {
    const store = new FakePackStore();
    let puts = 0;
    const failing: PackSink = {
      cipher: undefined,
      putPack: (name, bytes, index) =>
        ++puts === 2 ? Promise.reject(new Error('S3 down')) : store.putPack(name, bytes, index),
    };
    const sut = new PackWriter(failing, fakeCompressor, new Map(), 1000);

    for (let i = 0; i < 3; i++) await sut.add(randomBytes(700));
    const err = await sut.flush().catch((e: unknown) => e);

    expect((err as Error).message).toBe('S3 down');
    expect(store.packs.size).toBe(1);
    expect(sut.stats.packs).toBe(1);
  });

  it('does not touch a pack buffer before its upload has finished', async () => {
    const store = new FakePackStore();
    const slow: PackSink = {
      cipher: undefined,
      putPack: async (name, bytes, index) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        return store.putPack(name, bytes, index); // checks the name against the bytes as they are now
      },
    };
    const sut = new PackWriter(slow, fakeCompressor, new Map(), 1000, { maxUploads: 1 });
    const chunks = Array.from({ length: 12 }, () => randomBytes(400));

    for (const c of chunks) await sut.add(c);
    await sut.flush();

    expect(store.packs.size).toBe(6);
    chunks.forEach((c) => {
      const loc = [...sut.known.values()].find(
        (l) =>
          l.size === c.length &&
          store.packs
            .get(l.pack)!
            .subarray(l.offset + 1, l.offset + l.length)
            .equals(c),
      );
      expect(loc).toBeDefined();
    });
  });

  it('packs a blob larger than the pack limit on its own', async () => {
    const store = new FakePackStore();
    const sut = new PackWriter(store, fakeCompressor, new Map(), 100);

    await sut.add(randomBytes(50));
    await sut.add(randomBytes(300));
    await sut.flush();

    expect([...store.packs.values()].map((p) => p.length)).toEqual([51, 301]);
  });
});
