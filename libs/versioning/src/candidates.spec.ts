import { classifyCandidate, newerThan } from './candidates';
import { InvalidVersionError, UnknownVersionSchemeError } from './errors';
import { abrScheme } from './schemes/abr';

describe(classifyCandidate.name, () => {
  it.each([
    ['semver', '1.2.3', '1.2.4', 'patch'],
    ['semver', '1.2.3', '2.0.0-rc.1', 'prerelease'],
    ['semver', null, '2.0.0', 'major'],
    ['semver', null, '2.0.0-rc.1', 'prerelease'],
    ['abr', '0r1', '0r2', 'minor'],
    ['abr', '0b1', '0r1', 'patch'],
    ['abr', null, '0r1', 'major'],
    ['abr', null, '0b1', 'prerelease'],
  ] as const)('%s: %s -> %s is %s', (scheme, current, version, kind) => {
    const result = classifyCandidate({ scheme, current, candidate: { version } });

    expect(result).toEqual({ kind, security: false, hotfix: false, breaking: false });
  });

  it.each([
    [{ security: true }, { security: true, hotfix: false, breaking: false }],
    [{ hotfix: true }, { security: false, hotfix: true, breaking: false }],
    [{ breaking: true }, { security: false, hotfix: false, breaking: true }],
    [
      { security: true, hotfix: true, breaking: true },
      { security: true, hotfix: true, breaking: true },
    ],
    [
      { security: false, hotfix: undefined },
      { security: false, hotfix: false, breaking: false },
    ],
  ])('passes metadata flags %j through', (flags, expected) => {
    const result = classifyCandidate({ scheme: abrScheme, current: '0r1', candidate: { version: '1r1', ...flags } });

    expect(result).toEqual({ kind: 'major', ...expected });
  });

  it('does not infer breaking from a major bump', () => {
    const result = classifyCandidate({ scheme: 'semver', current: '1.0.0', candidate: { version: '2.0.0' } });

    expect(result.breaking).toBe(false);
  });

  it('rejects versions outside the scheme', () => {
    const act = () => classifyCandidate({ scheme: 'abr', current: '0r1', candidate: { version: '1.0.0' } });

    expect(act).toThrow(InvalidVersionError);
    expect(act).toThrow(/not a valid abr version/);
  });

  it('rejects an unknown scheme id', () => {
    expect(() => classifyCandidate({ scheme: 'calver', current: null, candidate: { version: '2024.1' } })).toThrow(
      UnknownVersionSchemeError,
    );
  });
});

describe(newerThan.name, () => {
  it.each([
    [
      'semver',
      '1.2.3',
      ['1.2.3', '2.0.0', '1.2.2', '1.3.0-rc.1', '1.2.4', '1.3.0'],
      ['1.2.4', '1.3.0-rc.1', '1.3.0', '2.0.0'],
    ],
    ['semver', null, ['2.0.0', '1.0.0', '1.0.0-beta'], ['1.0.0-beta', '1.0.0', '2.0.0']],
    ['semver', '3.0.0', ['1.0.0', '2.0.0'], []],
    ['semver', '1.0.0', [], []],
    ['semver', '1.0.0', ['1.0.1', '1.0.1', '1.0.0'], ['1.0.1']],
    ['abr', '0r1', ['1a1', '0r2', '0a1', '0b2', '0r1', '0b1', '0a2'], ['0a2', '0b2', '0r2', '1a1']],
    ['abr', null, ['0r1', '0b1'], ['0b1', '0r1']],
  ] as const)('%s after %s among %j is %j', (scheme, current, versions, expected) => {
    const result = newerThan(scheme, current, versions);

    expect(result).toEqual(expected);
  });

  it('does not modify its input', () => {
    const versions = ['2.0.0', '1.0.0'];

    newerThan('semver', null, versions);

    expect(versions).toEqual(['2.0.0', '1.0.0']);
  });

  it.each([
    ['semver', '1.0.0', ['1.0.1', 'v1.0.2']],
    ['semver', 'latest', ['1.0.1']],
    ['abr', '0r1', ['0r2', '1.0.0']],
  ])('%s: throws on the first invalid version (current %s, %j)', (scheme, current, versions) => {
    expect(() => newerThan(scheme, current, versions)).toThrow(InvalidVersionError);
  });
});
