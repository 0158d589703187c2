import { mergeConfigDefaults } from './config-merge';

describe(mergeConfigDefaults.name, () => {
  it.each([
    ['adds missing keys', { a: 1, b: 2 }, { a: 9 }, { a: 9, b: 2 }, ['b']],
    [
      'keeps operator values even of another type',
      { port: 80, tags: ['x'] },
      { port: '8080', tags: 'y' },
      { port: '8080', tags: 'y' },
      [],
    ],
    [
      'merges nested objects',
      { db: { pool: 5, timeoutMs: 100 } },
      { db: { pool: 20 } },
      { db: { pool: 20, timeoutMs: 100 } },
      ['db.timeoutMs'],
    ],
    ['keeps operator-only keys', { a: 1 }, { mine: true }, { mine: true, a: 1 }, ['a']],
    ['does not merge into an operator null', { db: { pool: 5 } }, { db: null }, { db: null }, []],
    ['starts from nothing', { a: { b: 1 } }, {}, { a: { b: 1 } }, ['a']],
  ])('%s', (_what, defaults, operator, expected, added) => {
    const sut = mergeConfigDefaults(defaults, operator);

    expect(sut.config).toEqual(expected);
    expect(sut.added).toEqual(added);
  });

  it('leaves its inputs alone and copies defaults', () => {
    const defaults = { nested: { list: [1, 2] } };
    const operator = { other: 1 };

    const sut = mergeConfigDefaults(defaults, operator);
    (sut.config.nested as { list: number[] }).list.push(3);

    expect(operator).toEqual({ other: 1 });
    expect(defaults.nested.list).toEqual([1, 2]);
  });

  it('treats a "__proto__" key as data', () => {
    const defaults = JSON.parse('{"__proto__": {"polluted": true}}');

    const sut = mergeConfigDefaults(defaults, {});

    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(JSON.parse(JSON.stringify(sut.config))).toEqual(defaults);
    expect(Object.getPrototypeOf(sut.config)).toBe(Object.prototype);
  });
});
