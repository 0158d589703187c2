import { createHash } from 'node:crypto';
import { sanitizeSourceConfig, trustedRootFingerprint } from './component-view';

const ROOT = '{\n "signed": {"_type": "root"}\n}\n';
const sha256 = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

describe(trustedRootFingerprint.name, () => {
  it('is the sha256 of the root.json text as pinned, like sha256sum', () => {
    expect(trustedRootFingerprint(ROOT)).toBe(sha256(ROOT));
  });

  it('decodes a root pinned as base64 first', () => {
    expect(trustedRootFingerprint(Buffer.from(ROOT).toString('base64'))).toBe(sha256(ROOT));
  });
});

describe(sanitizeSourceConfig.name, () => {
  it('replaces the pinned root by its fingerprint', () => {
    const sut = sanitizeSourceConfig({ mode: 's3', trustedRoot: ROOT, timeoutMs: 5000 });

    expect(sut).toEqual({ mode: 's3', trustedRootSha256: sha256(ROOT), timeoutMs: 5000 });
  });

  it.each([
    [
      'credentials in a URL',
      { registry: 'https://bot:s3cret@npm.example.com/' },
      { registry: 'https://npm.example.com/' },
    ],
    ['a token setting', { authToken: 'abc' }, { authToken: '***' }],
    ['a nested secret', { headers: { Authorization: 'Bearer x' } }, { headers: { Authorization: '***' } }],
    ['a plain URL', { metadataUrl: 'https://example.com/tuf/' }, { metadataUrl: 'https://example.com/tuf/' }],
  ])('masks %s', (_name, config, expected) => {
    expect(sanitizeSourceConfig(config)).toEqual(expected);
  });
});
