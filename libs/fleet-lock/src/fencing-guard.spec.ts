import { FencingGuard, MemoryFencingStore, decideFencing } from './fencing-guard';

describe(FencingGuard.name, () => {
  it.each([
    ['the first token', undefined, 7, true],
    ['the same token again (same lease, redelivery)', 7, 7, true],
    ['a newer holder', 7, 12, true],
    ['an older holder', 12, 7, false],
    ['a non-positive token', undefined, 0, false],
  ])('decides on %s', (_, highest, token, accepted) => {
    const sut = decideFencing('cluster', highest, token);

    expect(sut.accepted).toBe(accepted);
  });

  it('remembers the highest token per lock key and rejects older ones', async () => {
    const store = new MemoryFencingStore();
    const sut = new FencingGuard(store);

    await sut.accept('cluster', 5);
    await sut.accept('cluster', 9);
    const stale = await sut.accept('cluster', 5);
    const otherKey = await sut.accept('other', 1);

    expect(stale).toEqual({
      accepted: false,
      token: 5,
      highest: 9,
      reason: expect.stringMatching(/stale fencing token 5.*token 9/),
    });
    expect(otherKey.accepted).toBe(true);
    expect(await store.get('cluster')).toBe(9);
    expect(await new FencingGuard(store).accept('cluster', 8)).toMatchObject({ accepted: false });
  });

  it('checks one key at a time, so racing commands cannot both pass a stale read', async () => {
    const store = new MemoryFencingStore();
    const slow = {
      get: (k: string) => new Promise<number | undefined>((r) => setTimeout(() => r(store.get(k)), 5)),
      set: (k: string, t: number) => store.set(k, t),
    };
    const sut = new FencingGuard(slow);

    const [newer, older] = await Promise.all([sut.accept('cluster', 10), sut.accept('cluster', 3)]);

    expect(newer.accepted).toBe(true);
    expect(older.accepted).toBe(false);
  });
});
