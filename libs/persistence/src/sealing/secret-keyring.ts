import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** Codes of {@link SealingError}; wire names (query replies carry them). */
export const SealingErrorCode = {
  /** A secret must be sealed or opened but no LOCKSTEP_SECRET_KEY is set. */
  KeyMissing: 'SECRET_KEY_MISSING',
  /** A sealed value names a key that is neither the current nor a previous one. */
  KeyUnknown: 'SECRET_KEY_UNKNOWN',
  /** A sealed value is malformed, was altered, or belongs to another row or field. */
  SealedValueInvalid: 'SEALED_VALUE_INVALID',
} as const;
export type SealingErrorCode = (typeof SealingErrorCode)[keyof typeof SealingErrorCode];

/** A secret could not be sealed or opened; the message says which setting to fix. */
export class SealingError extends Error {
  override name = 'SealingError';
  constructor(
    readonly code: SealingErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Version tag of the sealed format `v1:<keyId>:<iv>:<tag>:<ciphertext>` (base64url parts). */
export const SEALED_PREFIX = 'v1:';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The id a sealed value names its key by: the first 8 hex digits of the key's SHA-256. */
export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

/** The key id a sealed value names, or undefined when the value is not sealed. */
export function sealedKeyId(value: string): string | undefined {
  if (!value.startsWith(SEALED_PREFIX)) return undefined;
  return value.split(':')[1];
}

/**
 * Seals and opens secrets at rest with AES-256-GCM. New values are sealed under the current
 * key (LOCKSTEP_SECRET_KEY); values sealed under a previous key (LOCKSTEP_SECRET_KEY_PREVIOUS)
 * still open, so deliveries go on while `secrets rotate` re-seals. Each value is bound to a
 * context (table, row id and field) as additional data, so a sealed value copied to another
 * row or field does not open.
 */
export class SecretKeyring {
  private readonly keys = new Map<string, Buffer>();
  /** Id of the key new values are sealed under; undefined without LOCKSTEP_SECRET_KEY. */
  readonly currentKeyId: string | undefined;

  constructor(
    private readonly current: Buffer | undefined,
    previous: readonly Buffer[] = [],
  ) {
    this.currentKeyId = current ? keyIdOf(current) : undefined;
    for (const key of [...(current ? [current] : []), ...previous]) {
      if (!this.keys.has(keyIdOf(key))) this.keys.set(keyIdOf(key), key);
    }
  }

  /** Ids of every key that opens values (current first). */
  get keyIds(): string[] {
    return [...this.keys.keys()];
  }

  /** True when this keyring opens values sealed under `keyId`. */
  knows(keyId: string): boolean {
    return this.keys.has(keyId);
  }

  /** Seals `plaintext` under the current key, bound to `context`; refuses without a key. */
  seal(plaintext: string, context: string): string {
    if (!this.current || !this.currentKeyId)
      throw new SealingError(
        SealingErrorCode.KeyMissing,
        'no key to seal secrets with: set LOCKSTEP_SECRET_KEY (or LOCKSTEP_SECRET_KEY_FILE) to 32 random bytes in base64 (`lockstep secrets generate-key` prints one) and restart the notifier',
      );
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const parts = [iv, cipher.getAuthTag(), ciphertext].map((b) => b.toString('base64url'));
    return `${SEALED_PREFIX}${this.currentKeyId}:${parts.join(':')}`;
  }

  /** Opens a value sealed under any known key for the same `context`. */
  unseal(sealed: string, context: string): string {
    const parts = sealed.split(':');
    if (parts.length !== 5 || `${parts[0]}:` !== SEALED_PREFIX)
      throw new SealingError(
        SealingErrorCode.SealedValueInvalid,
        `the sealed value of ${context} is not in the v1:<key id>:<iv>:<tag>:<ciphertext> form; it was altered outside Lockstep — set the secret again`,
      );
    const [, keyId, iv, tag, ciphertext] = parts;
    const key = this.keys.get(keyId);
    if (!key)
      throw new SealingError(
        SealingErrorCode.KeyUnknown,
        this.currentKeyId
          ? `${context} is sealed under key ${keyId}, which is neither LOCKSTEP_SECRET_KEY (${this.currentKeyId}) nor in LOCKSTEP_SECRET_KEY_PREVIOUS; add the key it was sealed with to LOCKSTEP_SECRET_KEY_PREVIOUS`
          : `${context} is sealed under key ${keyId}, but no LOCKSTEP_SECRET_KEY is set; set LOCKSTEP_SECRET_KEY (or LOCKSTEP_SECRET_KEY_FILE) to that key`,
      );
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      const tagBytes = Buffer.from(tag, 'base64url');
      if (tagBytes.length !== TAG_BYTES) throw new Error('authentication tag has the wrong length');
      decipher.setAuthTag(tagBytes);
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    } catch (err) {
      throw new SealingError(
        SealingErrorCode.SealedValueInvalid,
        `the sealed value of ${context} does not open under key ${keyId}: it was altered or copied from another row — set the secret again`,
        { cause: err },
      );
    }
  }
}
