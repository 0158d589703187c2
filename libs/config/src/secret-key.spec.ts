import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ConfigError, loadConfig, parseSecretKey, secretKeyListSetting, secretKeySetting } from '@lockstep/config';

describe(parseSecretKey.name, () => {
  const key = randomBytes(32);

  it.each([
    ['base64', key.toString('base64')],
    ['base64url', key.toString('base64url')],
    ['hex', key.toString('hex')],
  ])('reads a %s key', (_form, text) => {
    expect(parseSecretKey(`${text}\n`)?.equals(key)).toBe(true);
  });

  it.each([
    ['too short', randomBytes(16).toString('base64')],
    ['a passphrase', 'correct horse battery staple'],
  ])('refuses %s', (_what, text) => {
    expect(parseSecretKey(text)).toBeUndefined();
  });
});

describe('secret key settings', () => {
  const schema = z.object({ KEY: secretKeySetting(), PREVIOUS: secretKeyListSetting() });

  it('names the variable and never echoes the value', () => {
    const act = () => loadConfig('test', schema, { KEY: 'hunter2hunter2' });

    expect(act).toThrow(ConfigError);
    expect(act).toThrow(/KEY: expected 32 random bytes as base64/);
    expect(act).not.toThrow(/hunter2/);
  });

  it('reads a list of previous keys', () => {
    const a = randomBytes(32);
    const b = randomBytes(32);

    const sut = loadConfig('test', schema, { PREVIOUS: `${a.toString('base64')}, ${b.toString('hex')}` });

    expect(sut.KEY).toBeUndefined();
    expect(sut.PREVIOUS.map((k) => k.toString('hex'))).toEqual([a.toString('hex'), b.toString('hex')]);
  });
});
