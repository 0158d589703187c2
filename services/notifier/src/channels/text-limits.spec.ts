import { escapeSlack, slackText, truncateText } from './text-limits';

describe(truncateText.name, () => {
  it.each([
    ['short', 10, 'short'],
    ['exactly10!', 10, 'exactly10!'],
    ['this is too long', 10, 'this is t…'],
    ['this is  long', 10, 'this is…'],
    ['ab😀cd', 4, 'ab…'],
    ['abc', 1, '…'],
  ])('cuts %j to %i as %j', (text, max, expected) => {
    const sut = truncateText(text, max);

    expect(sut).toBe(expected);
    expect(sut.length).toBeLessThanOrEqual(max);
  });
});

describe(slackText.name, () => {
  it('escapes the reserved characters', () => {
    expect(escapeSlack('a <b> & c')).toBe('a &lt;b&gt; &amp; c');
  });

  it.each([5, 6, 7, 8, 9, 10])('never cuts an entity in half at %i', (max) => {
    const sut = slackText('abc&&&&&&', max);

    expect(sut.length).toBeLessThanOrEqual(max);
    expect(sut.replace(/&amp;/g, '')).not.toMatch(/&/);
  });
});
