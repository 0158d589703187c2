import { createHash, randomBytes } from 'node:crypto';
import { ChunkCipher } from './chunk-cipher';

describe(ChunkCipher.name, () => {
  it('gives every sealed blob its own nonce, across refills of the nonce pool', () => {
    const sut = new ChunkCipher(randomBytes(32));

    const nonces = Array.from({ length: 3000 }, (_, i) =>
      sut
        .seal(Buffer.from(`chunk ${i}`), `id-${i}`)
        .subarray(0, 12)
        .toString('hex'),
    );

    expect(new Set(nonces).size).toBe(nonces.length);
  });

  it('opens what it sealed, and refuses another name or key', () => {
    const key = randomBytes(32);
    const sut = new ChunkCipher(key);
    const blob = sut.seal(Buffer.from('secret'), 'chunk-a');

    const opened = sut.open(blob, 'chunk-a');

    expect(opened.toString()).toBe('secret');
    expect(() => sut.open(blob, 'chunk-b')).toThrow();
    expect(() => new ChunkCipher(randomBytes(32)).open(blob, 'chunk-a')).toThrow();
  });

  it('names content with an HMAC that depends on the key and is not its sha256', () => {
    const data = Buffer.from('a manifest part');
    const a = new ChunkCipher(randomBytes(32));
    const b = new ChunkCipher(randomBytes(32));

    expect(a.mac(data)).toMatch(/^[0-9a-f]{64}$/);
    expect(a.mac(data)).toBe(a.mac(Buffer.from('a manifest part')));
    expect(a.mac(data)).not.toBe(b.mac(data));
    expect(a.mac(data)).not.toBe(createHash('sha256').update(data).digest('hex'));
  });
});
