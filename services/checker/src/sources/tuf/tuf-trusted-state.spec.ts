import { readPriorState } from './tuf-trusted-state';

describe(readPriorState.name, () => {
  const trusted = { 'root.json': '{"r":1}', 'timestamp.json': '{"t":1}' };

  it('keeps trusted metadata derived from the same pinned root', () => {
    const sut = readPriorState({ pinnedRoot: 'abc', trusted, verified: { 'a.tar.gz': 'f00' }, etag: '"e"' }, 'abc');

    expect(sut).toEqual({ trusted, verified: { 'a.tar.gz': 'f00' }, etag: '"e"' });
  });

  it.each([
    ['another root was pinned', { pinnedRoot: 'old', trusted }],
    ['the state names files that are not TUF metadata', { pinnedRoot: 'abc', trusted: { '../../etc/passwd': 'x' } }],
    ['the state is empty', {}],
  ])('starts from the pinned root alone when %s', (_why, raw) => {
    const sut = readPriorState(raw, 'abc');

    expect(sut.trusted).toEqual({});
    expect(sut.etag).toBeUndefined();
  });
});
