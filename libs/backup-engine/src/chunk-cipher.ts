import { createCipheriv, createDecipheriv, createHmac, randomBytes, scrypt } from 'node:crypto';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** Nonces drawn from the system's random source at once. */
const NONCE_POOL = 1024;

/** scrypt cost parameters stored in the repository config. */
export interface KdfParams {
  N: number;
  r: number;
  p: number;
}

export const DEFAULT_KDF: KdfParams = { N: 1 << 15, r: 8, p: 1 };

/** Derives a 32-byte AES key from a passphrase and the repository's salt. */
export function deriveKey(passphrase: string, salt: Buffer, params: KdfParams = DEFAULT_KDF): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(passphrase, salt, 32, { ...params, maxmem: 256 * params.N * params.r + 16 * 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/**
 * AES-256-GCM with a random 12-byte nonce per message. Output is nonce | ciphertext | tag.
 * The associated data (a chunk id or object key) binds each ciphertext to its name, so a
 * blob moved to another place fails to open.
 */
export class ChunkCipher {
  /** Random bytes drawn in bulk and handed out as nonces: one randomBytes call per chunk costs more than its encryption. */
  private nonces = Buffer.alloc(0);
  private nonceAt = 0;
  private macKey: Buffer | undefined;

  constructor(private readonly key: Buffer) {}

  /** A fresh random 12-byte nonce (never handed out twice: the pool only moves forward). */
  private nonce(): Buffer {
    if (this.nonceAt + NONCE_BYTES > this.nonces.length) {
      this.nonces = randomBytes(NONCE_BYTES * NONCE_POOL);
      this.nonceAt = 0;
    }
    const nonce = this.nonces.subarray(this.nonceAt, this.nonceAt + NONCE_BYTES);
    this.nonceAt += NONCE_BYTES;
    return nonce;
  }

  /** HMAC-SHA256 of `data` (hex) under a key derived from this one: a name for content that reveals nothing without the key. */
  mac(data: Buffer): string {
    this.macKey ??= createHmac('sha256', this.key).update('lockstep-content-name-v1').digest();
    return createHmac('sha256', this.macKey).update(data).digest('hex');
  }

  /** Encrypts data, authenticating aad alongside it. */
  seal(data: Buffer, aad: string): Buffer {
    return Buffer.concat(this.sealParts(data, aad));
  }

  /** seal() as the pieces of its output in order, for a caller that copies them on anyway (a pack). */
  sealParts(data: Buffer, aad: string): Buffer[] {
    const nonce = this.nonce();
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    cipher.setAAD(Buffer.from(aad));
    const body = cipher.update(data);
    const tail = cipher.final(); // empty for GCM; kept so the output is right whatever it holds
    return [nonce, body, tail, cipher.getAuthTag()];
  }

  /** Decrypts a sealed blob; throws when the key, the aad or any byte is wrong. */
  open(blob: Buffer, aad: string): Buffer {
    if (blob.length < NONCE_BYTES + TAG_BYTES) throw new Error('sealed blob too short');
    const nonce = blob.subarray(0, NONCE_BYTES);
    const tag = blob.subarray(blob.length - TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.key, nonce);
    decipher.setAAD(Buffer.from(aad));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(blob.subarray(NONCE_BYTES, blob.length - TAG_BYTES)), decipher.final()]);
  }
}
