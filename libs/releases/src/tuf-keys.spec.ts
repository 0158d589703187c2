import { canonicalize } from '@tufjs/canonical-json';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  generateKeySet,
  initKeyFile,
  parseKeySet,
  parseOnlineKeySet,
  readKeyFile,
  ReleaseError,
  ReleaseErrorCode,
  serializeKeySet,
  TufRoles,
  writeKeyFile,
} from '@lockstep/releases';

describe('TUF key files', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lockstep-keys-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('gives every role its own ed25519 key whose id is the sha256 of its canonical JSON', () => {
    const sut = generateKeySet();

    const ids = TufRoles.map((role) => sut.keys[role].keyId);

    expect(new Set(ids).size).toBe(4);
    for (const role of TufRoles) {
      const key = sut.keys[role];
      const expected = createHash('sha256')
        .update(
          canonicalize({ keytype: 'ed25519', scheme: 'ed25519', keyval: { public: key.publicKey.keyVal.public } }),
        )
        .digest('hex');
      expect(key.keyId).toBe(expected);
      expect(key.publicKey.keyID).toBe(expected);
    }
  });

  it('writes a 0600 file that reads back to the same keys', async () => {
    const { path, keySet } = await initKeyFile(join(dir, 'keys'));

    const sut = await readKeyFile(path);

    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(TufRoles.map((r) => sut.keys[r].keyId)).toEqual(TufRoles.map((r) => keySet.keys[r].keyId));
  });

  it('encrypts the key file with a passphrase and leaves the online key file (snapshot, timestamp only) readable by the control plane', async () => {
    const passphrase = 'correct horse battery staple';
    const { path, onlinePath, keySet } = await initKeyFile(join(dir, 'keys'), { passphrase });

    const text = readFileSync(path, 'utf8');
    const sut = await readKeyFile(path, passphrase);
    const online = parseOnlineKeySet(readFileSync(onlinePath, 'utf8'));

    expect(text).not.toMatch(/PRIVATE KEY/);
    expect(sut.keys.root.keyId).toBe(keySet.keys.root.keyId);
    expect(online.keys.timestamp.keyId).toBe(keySet.keys.timestamp.keyId);
    expect(readFileSync(onlinePath, 'utf8')).not.toContain(keySet.keys.root.keyId);
    expect(statSync(onlinePath).mode & 0o777).toBe(0o600);
  });

  it.each([
    ['no passphrase', undefined, /is encrypted; give its passphrase as LOCKSTEP_KEYS_PASSPHRASE/],
    ['a wrong passphrase', 'not the passphrase at all', /passphrase is wrong/],
  ])('refuses an encrypted key file with %s', async (_what, given, message) => {
    const { path } = await initKeyFile(join(dir, 'keys'), { passphrase: 'correct horse battery staple' });

    const attempt = readKeyFile(path, given);

    await expect(attempt).rejects.toMatchObject({
      code: ReleaseErrorCode.KeyFilePassphrase,
      message: expect.stringMatching(message),
    });
  });

  it('refuses a passphrase shorter than 12 characters', async () => {
    const attempt = initKeyFile(join(dir, 'keys'), { passphrase: 'short' });

    await expect(attempt).rejects.toMatchObject({
      code: ReleaseErrorCode.KeyFilePassphrase,
      message: expect.stringMatching(/at least 12/),
    });
  });

  it('refuses to overwrite an existing key file', async () => {
    const keySet = generateKeySet();
    await writeKeyFile(dir, keySet);

    const attempt = writeKeyFile(dir, generateKeySet());

    await expect(attempt).rejects.toMatchObject({ name: 'ReleaseError', code: ReleaseErrorCode.KeyFileExists });
  });

  it.each([
    ['not JSON', () => 'nope'],
    [
      'a key id that does not match',
      () => serializeKeySet(generateKeySet()).replace(/"keyid": "[0-9a-f]/, '"keyid": "x'),
    ],
    [
      'a public key swapped for another',
      () => {
        const a = JSON.parse(serializeKeySet(generateKeySet()));
        a.keys.targets.public = JSON.parse(serializeKeySet(generateKeySet())).keys.targets.public;
        return JSON.stringify(a);
      },
    ],
  ])('rejects a key file with %s', (_what, text) => {
    const act = (): unknown => parseKeySet(text());

    expect(act).toThrow(ReleaseError);
    expect(act).toThrow(/key/);
  });
});
