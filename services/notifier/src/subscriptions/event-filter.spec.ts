import { invalidFilters, matchesFilter } from './event-filter';

describe(matchesFilter.name, () => {
  it.each([
    ['release.available', '*', true],
    ['release.available', 'release.*', true],
    ['release.available', 'release.available', true],
    ['check.failed', 'release.*', false],
    ['release.availableX', 'release.available', false],
  ])('%s vs %s -> %s', (name, filter, expected) => {
    expect(matchesFilter(name, filter)).toBe(expected);
  });

  it('reports filters that match nothing', () => {
    expect(invalidFilters(['relese.*', '*'], ['release.available'])).toEqual([expect.stringContaining('relese.*')]);
  });
});
