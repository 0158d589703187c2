import { UsageError } from '../errors';
import { buildSourceConfig, checkTrustedRoot, type SourceFlags } from './component-source';

const ROOT = '{"signed":{"_type":"root"}}';

describe(buildSourceConfig.name, () => {
  it.each<[string, SourceFlags, Record<string, unknown>]>([
    ['tuf from the bucket by default', { source: 'tuf', trustedRoot: ROOT }, { mode: 's3', trustedRoot: ROOT }],
    [
      'tuf over http',
      {
        source: 'tuf',
        mode: 'http',
        trustedRoot: ROOT,
        metadataUrl: 'https://r.example.com/meta/',
        targetsUrl: 'https://r.example.com/targets/',
      },
      {
        mode: 'http',
        trustedRoot: ROOT,
        metadataUrl: 'https://r.example.com/meta/',
        targetsUrl: 'https://r.example.com/targets/',
      },
    ],
    ['npm with the default registry', { source: 'npm', package: '@acme/app' }, { package: '@acme/app' }],
    [
      'npm with a registry',
      { source: 'npm', package: 'app', registry: 'https://npm.example.com' },
      { package: 'app', registry: 'https://npm.example.com' },
    ],
  ])('builds %s', (_name, flags, expected) => {
    expect(buildSourceConfig(flags)).toEqual(expected);
  });

  it.each<[string, SourceFlags, RegExp]>([
    ['tuf without a root', { source: 'tuf' }, /--source tuf needs --trusted-root FILE/],
    ['npm without a package', { source: 'npm' }, /--source npm needs --package NAME/],
    [
      'npm with tuf flags',
      { source: 'npm', package: 'app', trustedRoot: ROOT, mode: 's3' },
      /--mode, --trusted-root apply to --source tuf only/,
    ],
    [
      'tuf with npm flags',
      { source: 'tuf', trustedRoot: ROOT, package: 'app' },
      /--package applies to --source npm only/,
    ],
    [
      'http mode without URLs',
      { source: 'tuf', mode: 'http', trustedRoot: ROOT },
      /--mode http needs --metadata-url URL and --targets-url URL/,
    ],
    ['s3 mode with URLs', { source: 'tuf', trustedRoot: ROOT, metadataUrl: 'https://x' }, /apply to --mode http only/],
    [
      'a non-http URL',
      { source: 'npm', package: 'app', registry: 'file:///tmp' },
      /--registry "file:\/\/\/tmp" is not an http\(s\) URL/,
    ],
  ])('refuses %s', (_name, flags, message) => {
    const act = () => buildSourceConfig(flags);

    expect(act).toThrow(UsageError);
    expect(act).toThrow(message);
  });
});

describe(checkTrustedRoot.name, () => {
  it('accepts a root.json and refuses other JSON', () => {
    expect(checkTrustedRoot(ROOT, 'root.json')).toBe(ROOT);
    expect(() => checkTrustedRoot('{"signed":{"_type":"targets"}}', 'targets.json')).toThrow(
      /targets.json is not a TUF root.json/,
    );
  });
});
