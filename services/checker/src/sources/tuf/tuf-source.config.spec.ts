import { TufSourceConfig } from './tuf-source.config';

describe('TufSourceConfig', () => {
  const root = JSON.stringify({ signed: { _type: 'root' }, signatures: [] });

  it.each([
    ['s3 with defaults', { mode: 's3', trustedRoot: root }],
    [
      's3 with base64 root and prefixes',
      { mode: 's3', trustedRoot: Buffer.from(root).toString('base64'), prefix: 'x/tuf/', artifactsPrefix: 'x/a/' },
    ],
    [
      'http',
      {
        mode: 'http',
        trustedRoot: root,
        metadataUrl: 'https://r.example/tuf/',
        targetsUrl: 'https://r.example/a/',
        timeoutMs: 5000,
      },
    ],
  ])('accepts %s', (_what, config) => {
    const sut = TufSourceConfig.safeParse(config);

    expect(sut.success).toBe(true);
  });

  it.each([
    ['http without URLs', { mode: 'http', trustedRoot: root }],
    ['a non-http URL', { mode: 'http', trustedRoot: root, metadataUrl: 'file:///etc/', targetsUrl: 'https://r/' }],
    ['a root that is not a root', { mode: 's3', trustedRoot: JSON.stringify({ signed: { _type: 'targets' } }) }],
    ['an unknown mode', { mode: 'ftp', trustedRoot: root }],
  ])('rejects %s', (_what, config) => {
    const sut = TufSourceConfig.safeParse(config);

    expect(sut.success).toBe(false);
  });
});
