import { formatDuration, formatTime, renderFields, renderTable, truncate } from './output';

describe(renderTable.name, () => {
  it('aligns columns under their headers, numbers to the right, empty cells as -', () => {
    const sut = renderTable(
      [
        { header: 'NAME', value: (r: { name: string; n: number; note: string | null }) => r.name },
        { header: 'N', value: (r) => r.n, align: 'right' },
        { header: 'NOTE', value: (r) => r.note },
      ],
      [
        { name: 'demo', n: 1, note: 'multi\nline' },
        { name: 'a-longer-name', n: 120, note: null },
      ],
      'nothing',
    );

    expect(sut).toBe(
      ['NAME             N  NOTE', 'demo             1  multi line', 'a-longer-name  120  -', ''].join('\n'),
    );
  });

  it('prints the empty message when there are no rows', () => {
    expect(renderTable([{ header: 'X', value: () => 1 }], [], 'no components')).toBe('no components\n');
  });
});

describe(renderFields.name, () => {
  it('aligns values after the keys', () => {
    expect(
      renderFields([
        ['target', 'demo-1.0.0.tar.gz'],
        ['sha256', 'ab'],
      ]),
    ).toBe('target: demo-1.0.0.tar.gz\nsha256: ab\n');
  });
});

describe('formatting helpers', () => {
  it.each([
    [35, '35 ms'],
    [1234, '1.2 s'],
    [125_000, '2.1 min'],
    [null, '-'],
  ])('formatDuration(%p) = %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it.each([
    ['2026-01-02T03:04:05.678Z', '2026-01-02 03:04:05Z'],
    [null, '-'],
  ])('formatTime(%p) = %s', (iso, text) => {
    expect(formatTime(iso)).toBe(text);
  });

  it('truncates with an ellipsis', () => {
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('abc', 4)).toBe('abc');
  });
});
