import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { decodeStoredFrame, looksIncompressible, rawFrame, rawFrameOverhead } from './zstd-frame';

const zstdBinary = (args: string[], input: Buffer): Buffer =>
  execFileSync(process.env.LOCKSTEP_ZSTD_BIN ?? 'zstd', args, { input, maxBuffer: 64 * 1024 * 1024 });
const text = (n: number): Buffer =>
  Buffer.from(
    '2024-05-01T12:00:00Z INFO request served path=/api/v1/orders status=200\n'.repeat(Math.ceil(n / 72)).slice(0, n),
  );

describe('zstd raw frames', () => {
  it.each([
    ['empty', 0],
    ['one byte', 1],
    ['exactly one block', 128 * 1024],
    ['one block and a byte', 128 * 1024 + 1],
    ['a maximum-size chunk', 4 * 1024 * 1024],
  ])('writes %s as a frame the zstd binary and decodeStoredFrame read back', (_what, size) => {
    const data = randomBytes(size);

    const frame = rawFrame(data);

    expect(frame.length).toBe(size + rawFrameOverhead(size));
    expect(zstdBinary(['-d', '-q', '-c'], frame).equals(data)).toBe(true);
    expect(decodeStoredFrame(frame)?.equals(data)).toBe(true);
  });

  it('decodes the raw-block frames zstd itself writes for incompressible data', () => {
    const data = randomBytes(300_000);

    const decoded = decodeStoredFrame(zstdBinary(['-3', '-q', '-c', '--no-check'], data));

    expect(decoded?.equals(data)).toBe(true);
  });

  it.each([
    ['a compressed frame', () => zstdBinary(['-3', '-q', '-c'], text(100_000))],
    ['a frame with a checksum', () => zstdBinary(['-3', '-q', '-c', '--check'], randomBytes(1000))],
    ['two frames', () => Buffer.concat([rawFrame(Buffer.from('a')), rawFrame(Buffer.from('b'))])],
    ['a truncated frame', () => rawFrame(randomBytes(1000)).subarray(0, 500)],
    ['no frame at all', () => Buffer.from('not zstd')],
  ])('leaves %s to a real decoder', (_what, make) => {
    const input = make();

    const decoded = decodeStoredFrame(input);

    expect(decoded).toBeUndefined();
  });

  it.each([
    ['random bytes', randomBytes(1024 * 1024), true],
    ['a small random chunk', randomBytes(5000), true],
    ['log text', text(1024 * 1024), false],
    ['zeros', Buffer.alloc(1024 * 1024), false],
    ['random bytes with zero padding', Buffer.concat([randomBytes(512 * 1024), Buffer.alloc(512 * 1024)]), false],
    ['hex text', Buffer.from(randomBytes(256 * 1024).toString('hex')), false],
    ['a chunk under 4 KiB', randomBytes(4000), false],
  ])('looksIncompressible says of %s: %s', (_what, data, expected) => {
    const verdict = looksIncompressible(data);

    expect(verdict).toBe(expected);
  });
});
