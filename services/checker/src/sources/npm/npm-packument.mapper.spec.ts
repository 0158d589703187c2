import { SourceCheckError, SourceErrorCode } from '../release-source';
import { releaseChannelOf, readPackument } from './npm-packument.mapper';

const dist = (v: string) => ({ tarball: `https://registry.example/app/-/app-${v}.tgz`, integrity: 'sha512-x' });

describe(releaseChannelOf.name, () => {
  it.each([
    ['1.0.0', [], 'stable'],
    ['1.0.0', ['next'], 'stable'],
    ['1.0.0', ['canary'], 'stable'],
    ['2.0.0-rc.1', ['latest'], 'stable'],
    ['2.0.0-rc.1', ['beta'], 'beta'],
    ['2.0.0-rc.1', ['next'], 'beta'],
    ['2.0.0-rc.1', ['rc'], 'beta'],
    ['2.0.0-alpha.1', ['alpha'], 'alpha'],
    ['2.0.0-0', ['canary'], 'alpha'],
    ['2.0.0-0', ['Canary'], 'alpha'],
    ['2.0.0-0', ['canary', 'next'], 'beta'],
    ['2.0.0-beta.1', ['experimental'], 'alpha'],
    ['2.0.0-beta.1', ['some-tag'], 'beta'],
    ['2.0.0-beta.1', [], 'beta'],
    ['2.0.0-rc.1', [], 'beta'],
    ['2.0.0-0', [], 'beta'],
    ['2.0.0-alpha.1', [], 'alpha'],
    ['2.0.0-alpha1', [], 'alpha'],
    ['2.0.0-canary.20250101', [], 'alpha'],
    ['2.0.0-nightly.3', [], 'alpha'],
    ['2.0.0-dev.3', [], 'alpha'],
  ] as const)('%s tagged %j is %s', (version, tags, channel) => {
    const result = releaseChannelOf(version, tags);

    expect(result).toBe(channel);
  });
});

describe(readPackument.name, () => {
  it('skips non-semver keys and deprecated versions, keeps un-deprecated ones, sorts by version', () => {
    const body = {
      name: 'app',
      'dist-tags': { latest: '1.10.0' },
      versions: {
        '1.10.0': { version: '1.10.0', dist: dist('1.10.0') },
        '1.9.0': { version: '1.9.0', dist: dist('1.9.0'), deprecated: '' },
        '1.8.0': { version: '1.8.0', dist: dist('1.8.0'), deprecated: 'broken, use 1.9.0' },
        'v1.7.0': { version: 'v1.7.0', dist: dist('1.7.0') },
        '1.2': { version: '1.2', dist: dist('1.2') },
      },
    };

    const result = readPackument(body, 'app');

    expect(result.map((v) => v.version)).toEqual(['1.9.0', '1.10.0']);
    expect(result[1]).toEqual({
      version: '1.10.0',
      channel: 'stable',
      security: false,
      hotfix: false,
      breaking: false,
      notes: '',
      tarball: dist('1.10.0').tarball,
      integrity: 'sha512-x',
    });
  });

  it.each([
    [
      { security: true, hotfix: true, breaking: true, notes: 'n' },
      { security: true, hotfix: true, breaking: true, notes: 'n' },
    ],
    [
      { security: 'true', hotfix: 1, notes: 5 },
      { security: false, hotfix: false, breaking: false, notes: '' },
    ],
    [null, { security: false, hotfix: false, breaking: false, notes: '' }],
    ['security', { security: false, hotfix: false, breaking: false, notes: '' }],
  ])('reads the lockstep field %j as %j', (lockstep, expected) => {
    const body = { name: 'app', versions: { '1.0.0': { version: '1.0.0', dist: dist('1.0.0'), lockstep } } };

    const [result] = readPackument(body, 'app');

    expect(result).toMatchObject(expected);
  });

  it.each([
    ['not an object', 'hello'],
    ['no versions', { name: 'app' }],
    ['another name', { name: 'other', versions: {} }],
    ['an entry without dist', { name: 'app', versions: { '1.0.0': { version: '1.0.0' } } }],
    [
      'a non-http tarball',
      { name: 'app', versions: { '1.0.0': { version: '1.0.0', dist: { tarball: 'file:///etc/passwd' } } } },
    ],
    [
      'a key and manifest that disagree',
      { name: 'app', versions: { '1.0.0': { version: '1.0.1', dist: dist('1.0.1') } } },
    ],
  ])('rejects a document with %s as SOURCE_BAD_DATA', (_, body) => {
    const act = () => readPackument(body, 'app');

    expect(act).toThrow(SourceCheckError);
    expect(act).toThrow(expect.objectContaining({ code: SourceErrorCode.BadData }));
  });
});
