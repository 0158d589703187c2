import { randomBytes } from 'node:crypto';
import type { ChunkLocation } from './manifest';
import { FakePackStore, fakeCompressor } from './pack-io.fakes';
import { PackWriter } from './pack-writer';

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
      expect(store.packs.get(loc.pack)!.subarray(loc.offset + 1, loc.offset + loc.length).equals(chunks[i])).toBe(true);
    });
  });
});
