import { generateSigningKey } from '@lockstep/releases';
import { Metadata, Root, Signature } from '@tufjs/models';
import { sign } from 'node:crypto';
import { checkRootChain, RootChainError } from './root-chain';

type Key = ReturnType<typeof generateSigningKey>;
const EXPIRES = '2099-01-01T00:00:00Z';

/** Root `version` trusting `trusts` as root key (threshold 1), signed by every key in `signers`. */
function root(version: number, trusts: Key, signers: Key[]): Buffer {
  const signed = new Root({ version, specVersion: '1.0.31', expires: EXPIRES, consistentSnapshot: true });
  for (const role of ['root', 'targets', 'snapshot', 'timestamp']) signed.addKey(trusts.publicKey, role);
  const metadata = new Metadata(signed);
  for (const key of signers)
    metadata.sign((data) => new Signature({ keyID: key.keyId, sig: sign(null, data, key.privateKey).toString('hex') }));
  return Buffer.from(JSON.stringify(metadata.toJSON()));
}

describe(checkRootChain.name, () => {
  const k1 = generateSigningKey();
  const k2 = generateSigningKey();
  const k3 = generateSigningKey();
  const attacker = generateSigningKey();
  const v1 = root(1, k1, [k1]);
  const v2 = root(2, k2, [k1, k2]);
  const v3 = root(3, k3, [k2, k3]);
  const repository: Record<number, Buffer> = { 2: v2, 3: v3 };
  const fetchVersion = async (v: number) => {
    const bytes = repository[v];
    if (!bytes) throw new Error(`${v}.root.json: 404`);
    return bytes;
  };

  it.each([
    ['the pinned root itself', v1],
    ['a rotation signed by the old and the new key', v2],
    ['two rotations in a row, the middle one fetched', v3],
  ])('accepts %s', async (_what, kept) => {
    await expect(checkRootChain(v1, kept, fetchVersion)).resolves.toBeUndefined();
  });

  it.each([
    [
      'another self-signed version 1 (a swapped root.json)',
      root(1, attacker, [attacker]),
      /version 1 like the pinned root, but not the same file/,
    ],
    [
      'a self-signed version 2 the old key never signed',
      root(2, attacker, [attacker]),
      /version 2 is not signed by a threshold of version 1's root keys/,
    ],
    [
      'a version 2 signed by the old key but not its own',
      root(2, k2, [k1]),
      /version 2 is not signed by a threshold of its own root keys/,
    ],
    [
      'a version 3 whose version 2 is missing from the chain',
      root(3, attacker, [attacker]),
      /version 3 is not signed by a threshold of version 2's/,
    ],
    ['a version older than the pinned one', root(0, k1, [k1]), /older than the pinned version 1/],
    ['something that is no root', Buffer.from('{"signed":{}}'), /is not TUF root metadata/],
  ])('refuses %s', async (_what, kept, message) => {
    const act = checkRootChain(v1, kept, fetchVersion);

    await expect(act).rejects.toThrow(RootChainError);
    await expect(act).rejects.toThrow(message);
  });
});
