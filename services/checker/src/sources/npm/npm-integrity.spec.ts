import { createHash } from 'node:crypto';
import { expectedDigest, matchesDigest, sha256Hex } from './npm-integrity';

const data = Buffer.from('tarball bytes');
const b64 = (alg: string, d = data) => createHash(alg).update(d).digest('base64');
const hex = (alg: string, d = data) => createHash(alg).update(d).digest('hex');

describe(expectedDigest.name, () => {
  it.each([
    ['sha512 only', { integrity: `sha512-${b64('sha512')}` }, 'sha512', true],
    [
      'the strongest of several',
      { integrity: `sha1-${b64('sha1')} sha512-${b64('sha512')} sha256-${b64('sha256')}` },
      'sha512',
      true,
    ],
    ['sha256 only', { integrity: `sha256-${b64('sha256')}` }, 'sha256', true],
    ['an SRI option suffix', { integrity: `sha384-${b64('sha384')}?foo` }, 'sha384', true],
    [
      'a wrong strongest digest, even if a weaker one matches',
      { integrity: `sha512-${b64('sha512', Buffer.from('x'))} sha1-${b64('sha1')}` },
      'sha512',
      false,
    ],
    ['the sha1 shasum when integrity is absent', { shasum: hex('sha1').toUpperCase() }, 'sha1', true],
    ['integrity over shasum', { integrity: `sha512-${b64('sha512')}`, shasum: '0'.repeat(40) }, 'sha512', true],
    [
      'the shasum when integrity has only unknown algorithms',
      { integrity: `md5-${b64('md5')}`, shasum: hex('sha1') },
      'sha1',
      true,
    ],
  ])('uses %s', (_, dist, algorithm, matches) => {
    const expected = expectedDigest(dist);

    expect(expected?.algorithm).toBe(algorithm);
    expect(matchesDigest(data, expected!)).toBe(matches);
  });

  it.each([
    ['nothing', {}],
    ['an empty integrity', { integrity: '' }],
    ['a truncated digest', { integrity: `sha512-${b64('sha256')}` }],
    ['an unknown algorithm', { integrity: `md5-${b64('md5')}` }],
    ['a malformed shasum', { shasum: 'xyz' }],
  ])('returns null for %s', (_, dist) => {
    expect(expectedDigest(dist)).toBeNull();
  });
});

describe(sha256Hex.name, () => {
  it('is lowercase hex', () => {
    expect(sha256Hex(data)).toBe(hex('sha256'));
    expect(sha256Hex(data)).toMatch(/^[0-9a-f]{64}$/);
  });
});
