import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FencingStore } from './fencing-store';

describe(FencingStore.name, () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'fencing-'))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('remembers the highest token per lock key across restarts', async () => {
    const path = join(dir, 'fencing.json');
    const first = await FencingStore.open(path);
    await first.raise('cluster', 7);
    await first.raise('other', 100);

    const sut = await FencingStore.open(path);

    expect([sut.highestFor('cluster'), sut.highestFor('other'), sut.highestFor('none')]).toEqual([7, 100, 0]);
  });

  it('raise() records, never lowers, and keeps concurrent keys', async () => {
    const path = join(dir, 'fencing.json');
    const sut = await FencingStore.open(path);

    await Promise.all([sut.raise('a', 5), sut.raise('b', 3)]);
    await sut.raise('a', 4);
    const after = await FencingStore.open(path);

    expect([after.highestFor('a'), after.highestFor('b')]).toEqual([5, 3]);
    expect(sut.highestFor('a')).toBe(5);
  });

  it('refuses to open a damaged file', async () => {
    const path = join(dir, 'fencing.json');
    await writeFile(path, '{"format":"lockstep-fencing/v1","highest":{"a":"x"}}');

    await expect(FencingStore.open(path)).rejects.toThrow(/damaged/);
  });
});
