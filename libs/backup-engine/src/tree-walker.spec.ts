import { makeExcluder } from './tree-walker';

describe(makeExcluder.name, () => {
  it.each([
    ['*.log', 'app.log', true],
    ['*.log', 'logs/deep/app.log', true],
    ['*.log', 'app.log.txt', false],
    ['cache/**', 'cache/a/b', true],
    ['cache/**', 'other/cache/a', false],
    ['data/tmp', 'data/tmp', true],
    ['data/tmp', 'x/data/tmp', false],
    ['file?.txt', 'file1.txt', true],
    ['a.b', 'axb', false],
  ])('%s against %s -> %s', (pattern, path, expected) => {
    const sut = makeExcluder([pattern]);

    expect(sut(path)).toBe(expected);
  });
});
