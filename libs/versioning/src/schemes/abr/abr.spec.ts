import { InvalidVersionError } from '../../errors';
import { abrScheme as sut } from './index';

describe('abrScheme', () => {
  describe('ordering', () => {
    it.each([
      ['0a1', '0a1', 0],
      ['0r12', '0r12', 0],
      ['0a1', '0b1', -1],
      ['0b1', '0r1', -1],
      ['0a1', '0r1', -1],
      ['0r1', '0a2', -1],
      ['0a2', '0b2', -1],
      ['0b2', '0r2', -1],
      ['0r9', '0a10', -1],
      ['0r2', '0r10', -1],
      ['0r99', '1a1', -1],
      ['0r0', '0a1', -1],
      ['1a1', '1a2', -1],
      ['1r12', '2a1', -1],
      ['9r1', '10a1', -1],
      ['1r1', '0r5', 1],
      ['1b3', '1a3', 1],
    ] as const)('compare(%s, %s) is %d', (a, b, expected) => {
      const result = sut.compare(a, b);

      expect(result).toBe(expected);
      expect(sut.compare(b, a)).toBe(-expected || 0);
    });

    it('sorts the documented sequence', () => {
      const sorted = ['1a1', '0r2', '0a1', '0b2', '0r1', '0b1', '0a2'];

      sorted.sort((a, b) => sut.compare(a, b));

      expect(sorted).toEqual(['0a1', '0b1', '0r1', '0a2', '0b2', '0r2', '1a1']);
    });
  });

  describe('classification', () => {
    it.each([
      ['0r1', '0a2', 'prerelease'],
      ['0r1', '0b2', 'prerelease'],
      ['0a1', '0b1', 'prerelease'],
      ['0r1', '1a1', 'prerelease'],
      ['0b1', '0r1', 'patch'],
      ['0a1', '0r1', 'patch'],
      ['0r1', '0r2', 'minor'],
      ['0b1', '0r2', 'minor'],
      ['0r1', '0r12', 'minor'],
      ['0r1', '1r1', 'major'],
      ['0r12', '1r1', 'major'],
      ['1a3', '2r1', 'major'],
      ['1r1', '1r1', 'patch'],
      // downgrades are sized like upgrades
      ['0r2', '0r1', 'minor'],
      ['1r1', '0r9', 'major'],
      ['0r2', '0b2', 'prerelease'],
    ] as const)('classify(%s, %s) is %s', (from, to, kind) => {
      const result = sut.classify(from, to);

      expect(result).toBe(kind);
    });
  });

  it.each([
    ['0a1', true],
    ['0b1', true],
    ['0r1', false],
    ['12r3', false],
  ])('isPrerelease(%s) is %s', (version, expected) => {
    expect(sut.isPrerelease(version)).toBe(expected);
  });

  describe('invalid versions', () => {
    it.each([
      [''],
      ['0'],
      ['r1'],
      ['0r'],
      ['a'],
      ['0c1'],
      ['0R1'],
      ['0A1'],
      ['00r1'],
      ['0r01'],
      ['01r1'],
      ['0rr1'],
      ['0ab1'],
      ['0r1a'],
      ['0r1.1'],
      ['-0r1'],
      ['0r-1'],
      [' 0r1'],
      ['0r1 '],
      ['0 r1'],
      ['v0r1'],
      ['1.2.3'],
      ['0r1+build'],
      ['٣r1'],
      ['0r1\n'],
      ['9007199254740993r1'],
      ['0r9007199254740993'],
    ])('rejects %j', (version) => {
      expect(sut.isValid(version)).toBe(false);
      expect(() => sut.validate(version)).toThrow(InvalidVersionError);
      expect(() => sut.compare(version, '0r1')).toThrow(InvalidVersionError);
      expect(() => sut.classify('0r1', version)).toThrow(InvalidVersionError);
      expect(() => sut.isPrerelease(version)).toThrow(InvalidVersionError);
    });

    it('says which scheme rejected the version and what it expects', () => {
      const act = () => sut.validate('0R1');

      expect(act).toThrow('"0R1" is not a valid abr version; expected {major}{stage}{minor}');
      expect(act).toThrow(/e\.g\. 0a1, 0b1, 0r1, 1r12/);
    });

    it('truncates a huge input in the message', () => {
      const act = () => sut.validate('x'.repeat(10_000));

      expect(act).toThrow(/^"x{80}…" is not a valid abr version/);
    });

    it.each([[null], [undefined], [7]])('rejects the non-string %p without throwing from isValid', (value) => {
      expect(sut.isValid(value as unknown as string)).toBe(false);
      expect(() => sut.validate(value as unknown as string)).toThrow(InvalidVersionError);
    });
  });

  it.each(['0a0', '0a1', '0b1', '0r1', '1r12', '10b200', '9007199254740991r9007199254740991'])(
    'accepts %s',
    (version) => {
      expect(sut.isValid(version)).toBe(true);
      expect(sut.validate(version)).toBe(version);
    },
  );
});
