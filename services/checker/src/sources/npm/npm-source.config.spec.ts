import { escapePackageName, NpmSourceConfig, packumentUrl } from './npm-source.config';

describe('NpmSourceConfig', () => {
  it('fills in the defaults', () => {
    const result = NpmSourceConfig.parse({ package: 'app' });

    expect(result).toEqual({
      registry: 'https://registry.npmjs.org',
      package: 'app',
      maxTarballBytes: 64 * 1024 * 1024,
      allowUnverified: false,
    });
  });

  it.each([
    [{}, /package/],
    [{ package: '' }, /npm package name/],
    [{ package: 'a b' }, /npm package name/],
    [{ package: '@scope' }, /npm package name/],
    [{ package: '../etc' }, /npm package name/],
    [{ package: 'app', registry: 'ftp://registry.example' }, /http\(s\) URL/],
    [{ package: 'app', registry: 'not a url' }, /http\(s\) URL/],
    [{ package: 'app', timeoutMs: 0 }, /timeoutMs/],
  ])('rejects %j', (input, message) => {
    const result = NpmSourceConfig.safeParse(input);

    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toMatch(message);
  });
});

describe(escapePackageName.name, () => {
  it.each([
    ['app', 'app'],
    ['left-pad', 'left-pad'],
    ['@acme/app', '@acme%2fapp'],
    ['@acme/app.js', '@acme%2fapp.js'],
  ])('%s -> %s', (name, escaped) => {
    expect(escapePackageName(name)).toBe(escaped);
  });
});

describe(packumentUrl.name, () => {
  it.each([
    ['https://registry.npmjs.org', '@acme/app', 'https://registry.npmjs.org/@acme%2fapp'],
    ['https://registry.npmjs.org/', 'app', 'https://registry.npmjs.org/app'],
    ['https://host/artifactory/api/npm/npm/', 'app', 'https://host/artifactory/api/npm/npm/app'],
  ])('%s + %s -> %s', (registry, name, url) => {
    expect(packumentUrl(registry, name)).toBe(url);
  });
});
