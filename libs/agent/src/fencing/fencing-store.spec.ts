import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FencingStore } from './fencing-store';

describe(FencingStore.name, () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'fencing-'))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it.each([
    [[5], 4, false],
    [[5], 5, true],
    [[5], 6, true],
    [[], 1, true],
  ])('after %p admits token %p: %p', async (seen, token, admitted) => {
    const sut = await FencingStore.open(join(dir, 'fencing.json'));
    for (const t of seen) await sut.admit('cluster', t);

    const verdict = await sut.admit('cluster', token);

    expect(verdict.admitted).toBe(admitted);
  });

  it('remembers the highest token across restarts and names it when refusing', async () => {
    const path = join(dir, 'fencing.json');
    const first = await FencingStore.open(path);
    await first.admit('cluster', 7);

    const sut = await FencingStore.open(path);
    const verdict = await sut.admit('cluster', 6);

    expect(verdict).toEqual({ admitted: false, highest: 7 });
    expect(sut.highestFor('cluster')).toBe(7);
  });

  it('compares tokens per lock key only', async () => {
    const sut = await FencingStore.open(join(dir, 'fencing.json'));
    await sut.admit('a', 100);

    const verdict = await sut.admit('b', 1);

    expect(verdict.admitted).toBe(true);
  });

  it('check() decides without recording; raise() records, never lowers, and keeps concurrent keys', async () => {
    const path = join(dir, 'fencing.json');
    const sut = await FencingStore.open(path);

    const verdict = sut.check('a', 5);
    const before = (await FencingStore.open(path)).highestFor('a');
    await Promise.all([sut.raise('a', 5), sut.raise('b', 3)]);
    await sut.raise('a', 4);
    const after = await FencingStore.open(path);

    expect(verdict).toEqual({ admitted: true });
    expect(before).toBe(0);
    expect([after.highestFor('a'), after.highestFor('b')]).toEqual([5, 3]);
    expect(sut.check('a', 4)).toEqual({ admitted: false, highest: 5 });
  });

  it('refuses to open a damaged file', async () => {
    const path = join(dir, 'fencing.json');
    await writeFile(path, '{"format":"lockstep-fencing/v1","highest":{"a":"x"}}');

    await expect(FencingStore.open(path)).rejects.toThrow(/damaged/);
  });
});
