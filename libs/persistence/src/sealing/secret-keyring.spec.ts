import { randomBytes } from 'node:crypto';
import { keyIdOf, SealingError, SealingErrorCode, SecretKeyring, sealedKeyId } from './secret-keyring';

describe(SecretKeyring.name, () => {
  const oldKey = randomBytes(32);
  const newKey = randomBytes(32);

  it('opens what it sealed, naming the current key id in the sealed text and not the plaintext', () => {
    const sut = new SecretKeyring(newKey);

    const sealed = sut.seal('https://hooks.slack.com/services/T/B/xyz', 'subscriptions/1/target');

    expect(sealed).not.toContain('xyz');
    expect(sealedKeyId(sealed)).toBe(keyIdOf(newKey));
    expect(sut.unseal(sealed, 'subscriptions/1/target')).toBe('https://hooks.slack.com/services/T/B/xyz');
  });

  it('opens values sealed under a previous key, and seals new ones under the current key', () => {
    const sealedBefore = new SecretKeyring(oldKey).seal('s', 'c');
    const sut = new SecretKeyring(newKey, [oldKey]);

    const opened = sut.unseal(sealedBefore, 'c');
    const sealedNow = sut.seal('s', 'c');

    expect(opened).toBe('s');
    expect(sealedKeyId(sealedNow)).toBe(keyIdOf(newKey));
  });

  it.each([
    ['another context (a value copied to another row)', (s: string) => s, 'subscriptions/2/target'],
    ['an altered ciphertext', (s: string) => `${s.slice(0, -2)}${s.endsWith('AA') ? 'BB' : 'AA'}`, 'c'],
    ['a malformed value', () => 'v1:nope', 'c'],
  ])('refuses %s', (_what, change, context) => {
    const sut = new SecretKeyring(newKey);
    const sealed = change(sut.seal('secret', 'c'));

    const act = () => sut.unseal(sealed, context);

    expect(act).toThrow(SealingError);
    expect(act).toThrow(expect.objectContaining({ code: SealingErrorCode.SealedValueInvalid }));
  });

  it('names the key and the setting when the key is unknown', () => {
    const sealed = new SecretKeyring(oldKey).seal('s', 'c');
    const sut = new SecretKeyring(newKey);

    const act = () => sut.unseal(sealed, 'c');

    expect(act).toThrow(expect.objectContaining({ code: SealingErrorCode.KeyUnknown }));
    expect(act).toThrow(new RegExp(`key ${keyIdOf(oldKey)}.*LOCKSTEP_SECRET_KEY_PREVIOUS`));
  });

  it('refuses to seal without a key, saying what to set', () => {
    const sut = new SecretKeyring(undefined);

    const act = () => sut.seal('s', 'c');

    expect(act).toThrow(expect.objectContaining({ code: SealingErrorCode.KeyMissing }));
    expect(act).toThrow(/set LOCKSTEP_SECRET_KEY/);
  });
});
