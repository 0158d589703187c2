import { randomBytes } from 'node:crypto';
import { BackupEngineError } from './errors';
import { rawFrame } from './zstd-frame';
import { ZstdNative, defaultCompressor, loadZstdBinding, type ZstdBinding } from './zstd.native';
import { ZstdProcess } from './zstd.process';

const text = (n: number): Buffer =>
  Buffer.from('{"id":1,"name":"order","status":"active","tags":["a","b"]}\n'.repeat(Math.ceil(n / 59)).slice(0, n));

describe(ZstdNative.name, () => {
  const binary = new ZstdProcess(3);
  const sut = new ZstdNative(3);

  it('has a build of the native binding on this platform', () => {
    const found = loadZstdBinding();

    expect(found).toBeDefined();
    expect(defaultCompressor()).toBeInstanceOf(ZstdNative);
  });

  it.each([
    ['compressible text', text(1024 * 1024)],
    ['random bytes (stored raw)', randomBytes(1024 * 1024)],
    ['an empty chunk', Buffer.alloc(0)],
  ])('writes %s as a frame both it and the zstd binary read back', async (_what, data) => {
    const frame = await sut.compress(data);

    expect((await sut.decompress(frame)).equals(data)).toBe(true);
    expect((await binary.decompress(frame)).equals(data)).toBe(true);
  });

  it('reads frames the zstd binary wrote', async () => {
    const data = text(300_000);

    const back = await sut.decompress(await binary.compress(data));

    expect(back.equals(data)).toBe(true);
  });

  it('compresses text and stores random data without growing it more than a raw frame', async () => {
    const [t, r] = [text(1024 * 1024), randomBytes(1024 * 1024)];

    const [ct, cr] = [await sut.compress(t), await sut.compress(r)];

    expect(ct.length).toBeLessThan(t.length / 10);
    expect(cr.equals(rawFrame(r))).toBe(true);
  });

  it('honours the level', async () => {
    const data = Buffer.from(
      Array.from({ length: 20_000 }, (_, i) => `${i},${(i * 7919) % 10007},user${i % 97},${(i * 31) % 1000}\n`).join(
        '',
      ),
    );

    const [fast, strong] = [await new ZstdNative(1).compress(data), await new ZstdNative(19).compress(data)];

    expect(strong.length).toBeLessThan(fast.length);
  });

  it('names the binding when it fails', async () => {
    const broken: ZstdBinding = {
      compress: () => Promise.reject(new Error('boom')),
      decompress: () => Promise.reject(new Error('bang')),
    };
    const failing = new ZstdNative(3, broken);

    const errors = [
      await failing.compress(text(10_000)).catch((e: unknown) => e),
      await failing.decompress(Buffer.from('junk')).catch((e: unknown) => e),
    ];

    errors.forEach((err) => expect(err).toBeInstanceOf(BackupEngineError));
    expect((errors[0] as Error).message).toMatch(/native binding: boom/);
  });
});
