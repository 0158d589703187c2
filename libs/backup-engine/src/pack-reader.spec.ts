import { randomBytes } from 'node:crypto';
import { ChunkCipher } from './chunk-cipher';
import { CompressorUnavailableError } from './errors';
import { ZstdProcess } from './zstd.process';
import type { ChunkLocation } from './manifest';
import { FakePackStore, fakeCompressor } from './pack-io.fakes';
import { ChunkReadError, PackReader } from './pack-reader';
import { PackWriter } from './pack-writer';

async function packed(cipher?: ChunkCipher) {
  const store = new FakePackStore(cipher);
  const writer = new PackWriter(store, fakeCompressor, new Map());
  const data = [randomBytes(500), randomBytes(700)];
  const ids = [await writer.add(data[0]), await writer.add(data[1])];
  await writer.flush();
  return { store, data, ids, known: writer.known };
}

describe(PackReader.name, () => {
  it.each([
    ['plain', undefined],
    ['encrypted', new ChunkCipher(randomBytes(32))],
  ])('reads back %s chunks', async (_n, cipher) => {
    const { store, data, ids, known } = await packed(cipher);
    const sut = new PackReader(store, fakeCompressor);

    const out = [await sut.readChunk(ids[0], known.get(ids[0])!), await sut.readChunk(ids[1], known.get(ids[1])!)];

    expect(out).toEqual(data);
    expect(sut.loaded.size).toBe(1);
  });

  it('names the pack when one of its bytes changed', async () => {
    const { store, ids, known } = await packed();
    const loc = known.get(ids[1])!;
    store.packs.get(loc.pack)![loc.offset + 3] ^= 1;
    const sut = new PackReader(store, fakeCompressor);

    const err = await sut.readChunk(ids[1], loc).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(ChunkReadError);
    expect((err as ChunkReadError).pack).toBe(loc.pack);
  });

  it('passes on a compressor that cannot run here (not damage), and reports a missing pack as damage', async () => {
    const store = new FakePackStore();
    const writer = new PackWriter(store, new ZstdProcess(3), new Map());
    const id = await writer.add(Buffer.alloc(64 * 1024, 'compressible ')); // a real zstd frame: decoding it needs the binary
    await writer.flush();
    const loc = writer.known.get(id)!;

    const local = await new PackReader(store, new ZstdProcess(3, '/nonexistent/zstd'))
      .readChunk(id, loc)
      .catch((e: unknown) => e);
    store.packs.delete(loc.pack);
    const missing = await new PackReader(store, new ZstdProcess(3)).readChunk(id, loc).catch((e: unknown) => e);

    expect(local).toBeInstanceOf(CompressorUnavailableError);
    expect((local as Error).message).toMatch(/could not start \(\/nonexistent\/zstd\)/);
    expect(missing).toBeInstanceOf(ChunkReadError);
    expect((missing as Error).message).toMatch(/is missing from the bucket/);
  });

  it('refuses an encrypted chunk presented under another id', async () => {
    const { store, ids, known } = await packed(new ChunkCipher(randomBytes(32)));
    const swapped: ChunkLocation = known.get(ids[1])!;
    const sut = new PackReader(store, fakeCompressor);

    const err = await sut.readChunk(ids[0], swapped).catch((e: unknown) => e);

    expect((err as Error).message).toMatch(/fails authentication/);
  });
});
