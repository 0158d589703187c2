import { InvalidVersionError } from '../../errors';
import { semverScheme as sut } from './index';

describe('semverScheme', () => {
  describe('ordering', () => {
    it.each([
      ['1.0.0', '1.0.0', 0],
      ['1.0.0', '1.0.1', -1],
      ['1.0.1', '1.0.0', 1],
      ['1.0.9', '1.0.10', -1],
      ['1.9.0', '1.10.0', -1],
      ['9.0.0', '10.0.0', -1],
      ['1.2.3', '1.3.0', -1],
      ['1.99.99', '2.0.0', -1],
      ['0.0.1', '0.1.0', -1],
      ['1.0.0-alpha', '1.0.0', -1],
      ['1.0.0-alpha', '1.0.0-alpha.1', -1],
      ['1.0.0-alpha.1', '1.0.0-alpha.beta', -1],
      ['1.0.0-alpha.beta', '1.0.0-beta', -1],
      ['1.0.0-beta', '1.0.0-beta.2', -1],
      ['1.0.0-beta.2', '1.0.0-beta.11', -1],
      ['1.0.0-beta.11', '1.0.0-rc.1', -1],
      ['1.0.0-rc.1', '1.0.0', -1],
      ['0.9.9', '1.0.0-alpha', -1],
      ['1.0.0+build.1', '1.0.0+build.2', 0],
      ['1.0.0+build', '1.0.0', 0],
      ['2.0.0', '2.0.0-rc.1', 1],
    ] as const)('compare(%s, %s) is %d', (a, b, expected) => {
      const result = sut.compare(a, b);

      expect(result).toBe(expected);
      expect(sut.compare(b, a)).toBe(-expected || 0);
    });
  });

  describe('classification', () => {
    it.each([
      ['1.2.3', '1.2.4', 'patch'],
      ['1.2.3', '1.3.0', 'minor'],
      ['1.2.3', '1.3.5', 'minor'],
      ['1.2.3', '2.0.0', 'major'],
      ['1.2.3', '2.1.1', 'major'],
      ['0.1.0', '0.2.0', 'minor'],
      ['0.0.1', '0.0.2', 'patch'],
      ['1.2.3', '1.2.4-rc.1', 'prerelease'],
      ['1.2.3', '2.0.0-alpha.1', 'prerelease'],
      ['2.0.0-alpha.1', '2.0.0-alpha.2', 'prerelease'],
      ['2.0.0-rc.1', '2.0.0-rc.1', 'prerelease'],
      // leaving a pre-release follows semver.diff: the release it leads to
      ['1.0.0-rc.1', '1.0.0', 'major'],
      ['1.2.0-rc.1', '1.2.0', 'minor'],
      ['1.2.3-rc.1', '1.2.3', 'patch'],
      ['1.2.3-rc.1', '1.2.4', 'patch'],
      ['1.2.0-rc.1', '1.3.0', 'minor'],
      // equal, or only build metadata differs: smallest step
      ['1.2.3', '1.2.3', 'patch'],
      ['1.2.3+a', '1.2.3+b', 'patch'],
      // downgrades are sized like upgrades
      ['1.2.4', '1.2.3', 'patch'],
      ['1.3.0', '1.2.9', 'minor'],
      ['2.0.0', '1.9.9', 'major'],
      ['2.0.0-beta.1', '1.9.0', 'major'],
      ['1.2.0-beta.1', '1.1.0', 'minor'],
    ] as const)('classify(%s, %s) is %s', (from, to, kind) => {
      const result = sut.classify(from, to);

      expect(result).toBe(kind);
    });
  });

  it.each([
    ['1.2.3', false],
    ['1.2.3+build.5', false],
    ['1.2.3-0', true],
    ['1.2.3-rc.1+build', true],
  ])('isPrerelease(%s) is %s', (version, expected) => {
    expect(sut.isPrerelease(version)).toBe(expected);
  });

  describe('invalid versions', () => {
    it.each([
      [''],
      ['1'],
      ['1.2'],
      ['1.2.3.4'],
      ['v1.2.3'],
      ['=1.2.3'],
      [' 1.2.3'],
      ['1.2.3 '],
      ['01.2.3'],
      ['1.02.3'],
      ['1.2.03'],
      ['1.2.3-01'],
      ['1.2.3-'],
      ['1.2.3+'],
      ['1.2.3-rc..1'],
      ['-1.2.3'],
      ['1.2.x'],
      ['^1.2.3'],
      ['1.2.3 || 2.0.0'],
      ['9007199254740992.0.0'],
      ['0r1'],
      [`1.2.3-${'a'.repeat(300)}`],
    ])('rejects %j', (version) => {
      expect(sut.isValid(version)).toBe(false);
      expect(() => sut.validate(version)).toThrow(InvalidVersionError);
      expect(() => sut.compare(version, '1.0.0')).toThrow(InvalidVersionError);
      expect(() => sut.classify('1.0.0', version)).toThrow(InvalidVersionError);
      expect(() => sut.isPrerelease(version)).toThrow(InvalidVersionError);
    });

    it('says which scheme rejected the version and what it expects', () => {
      const act = () => sut.validate('v1.2.3');

      expect(act).toThrow('"v1.2.3" is not a valid semver version; expected MAJOR.MINOR.PATCH');
      expect(act).toThrow(/e\.g\. 1\.4\.2/);
    });

    it.each([[null], [undefined], [123]])('rejects the non-string %p without throwing from isValid', (value) => {
      expect(sut.isValid(value as unknown as string)).toBe(false);
      expect(() => sut.validate(value as unknown as string)).toThrow(InvalidVersionError);
    });
  });

  it.each([
    '0.0.0',
    '1.2.3',
    '10.20.30',
    '1.2.3-rc.1',
    '1.2.3-0.3.7',
    '1.2.3-x.7.z.92',
    '1.0.0+20130313144700',
    '1.0.0-beta+exp.sha.5114f85',
  ])('accepts %s', (version) => {
    expect(sut.isValid(version)).toBe(true);
    expect(sut.validate(version)).toBe(version);
  });
});
