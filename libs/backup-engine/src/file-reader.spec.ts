import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFilePieces } from './file-reader';

async function read(path: string, expectedSize: number, options = {}): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const piece of readFilePieces(path, expectedSize, options)) out.push(piece);
  return out;
}

describe('readFilePieces', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lockstep-file-reader-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it.each([
    ['an empty file', 0, 0],
    ['a small file (blocking reads)', 5000, 5000],
    ['a file of exactly one piece', 1024 * 1024, 1024 * 1024],
    ['a large file', 3 * 1024 * 1024 + 5, 3 * 1024 * 1024 + 5],
    ['a file that grew since its lstat', 3 * 1024 * 1024, 10],
    ['a small file that grew a lot', 200_000, 100],
    ['a file that shrank', 1000, 50_000],
  ])('reads %s whole', async (_what, actualSize, expectedSize) => {
    const path = join(dir, `f-${actualSize}-${expectedSize}`);
    const data = randomBytes(actualSize);
    await writeFile(path, data);

    const pieces = await read(path, expectedSize);

    expect(Buffer.concat(pieces).equals(data)).toBe(true);
    pieces.forEach((p) => expect(p.length).toBeLessThanOrEqual(1024 * 1024));
  });

  it('sizes buffers to the file, not to the piece size', async () => {
    const path = join(dir, 'small');
    await writeFile(path, randomBytes(4096));

    const [piece] = await read(path, 4096, { syncBelow: 0 });

    expect(piece.buffer.byteLength).toBeLessThan(64 * 1024);
  });

  it('fails for a missing file', async () => {
    const missing = join(dir, 'missing');

    const err = await read(missing, 10).catch((e: unknown) => e);

    expect((err as NodeJS.ErrnoException).code).toBe('ENOENT');
  });
});
