import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { z } from 'zod';
import { ReleaseError, ReleaseErrorCode } from './errors';

/** Format marker of a passphrase-encrypted key file. */
export const SEALED_KEY_FILE_FORMAT = 'lockstep-tuf-keys-sealed/v1';

/** scrypt cost: N = 2^17 (128 MiB of memory), as OWASP suggests for interactive logins; ~0.3 s per open. */
const SCRYPT = { N: 2 ** 17, r: 8, p: 1 } as const;
const MIN_PASSPHRASE_LENGTH = 12;

const SealedKeyFile = z.object({
  format: z.literal(SEALED_KEY_FILE_FORMAT),
  kdf: z.object({
    name: z.literal('scrypt'),
    N: z.number().int().positive(),
    r: z.number().int().positive(),
    p: z.number().int().positive(),
    salt: z.string(),
  }),
  cipher: z.literal('aes-256-gcm'),
  iv: z.string(),
  tag: z.string(),
  data: z.string(),
});
type SealedKeyFile = z.infer<typeof SealedKeyFile>;

const deriveKey = (passphrase: string, salt: Buffer, kdf: { N: number; r: number; p: number }): Buffer =>
  scryptSync(passphrase.normalize('NFC'), salt, 32, { ...kdf, maxmem: 256 * kdf.N * kdf.r });

/** Throws unless the passphrase is long enough to protect offline keys. */
export function assertPassphraseStrength(passphrase: string): void {
  if (passphrase.length < MIN_PASSPHRASE_LENGTH) {
    throw new ReleaseError(
      ReleaseErrorCode.KeyFilePassphrase,
      `the key file passphrase must be at least ${MIN_PASSPHRASE_LENGTH} characters; choose a longer one (a few random words)`,
    );
  }
}

/** Encrypts key file JSON with a passphrase (scrypt → AES-256-GCM); the result is the file to write. */
export function sealKeyFileText(plain: string, passphrase: string): string {
  assertPassphraseStrength(passphrase);
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', deriveKey(passphrase, salt, SCRYPT), iv);
  cipher.setAAD(Buffer.from(SEALED_KEY_FILE_FORMAT));
  const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  const file: SealedKeyFile = {
    format: SEALED_KEY_FILE_FORMAT,
    kdf: { name: 'scrypt', ...SCRYPT, salt: salt.toString('base64') },
    cipher: 'aes-256-gcm',
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    data: data.toString('base64'),
  };
  return `${JSON.stringify(file, null, 2)}\n`;
}

/** True when text is a passphrase-encrypted key file. */
export function isSealedKeyFile(text: string): boolean {
  try {
    return (JSON.parse(text) as { format?: unknown }).format === SEALED_KEY_FILE_FORMAT;
  } catch {
    return false;
  }
}

/** Decrypts a sealed key file; the message says which setting to give when the passphrase is missing or wrong. */
export function openKeyFileText(text: string, passphrase: string | undefined, source: string): string {
  const parsed = SealedKeyFile.safeParse(JSON.parse(text));
  if (!parsed.success) {
    throw new ReleaseError(
      ReleaseErrorCode.KeyFileInvalid,
      `${source} looks encrypted but is damaged (${parsed.error.issues[0]?.message ?? 'bad format'}); restore it from your backup`,
    );
  }
  if (passphrase === undefined || passphrase === '') {
    throw new ReleaseError(
      ReleaseErrorCode.KeyFilePassphrase,
      `${source} is encrypted; give its passphrase as LOCKSTEP_KEYS_PASSPHRASE or LOCKSTEP_KEYS_PASSPHRASE_FILE`,
    );
  }
  const f = parsed.data;
  try {
    const decipher = createDecipheriv(
      'aes-256-gcm',
      deriveKey(passphrase, Buffer.from(f.kdf.salt, 'base64'), f.kdf),
      Buffer.from(f.iv, 'base64'),
    );
    decipher.setAAD(Buffer.from(SEALED_KEY_FILE_FORMAT));
    decipher.setAuthTag(Buffer.from(f.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(f.data, 'base64')), decipher.final()]).toString('utf8');
  } catch (err) {
    throw new ReleaseError(
      ReleaseErrorCode.KeyFilePassphrase,
      `${source} cannot be decrypted: the passphrase is wrong (or the file was altered); check LOCKSTEP_KEYS_PASSPHRASE(_FILE)`,
      { cause: err },
    );
  }
}
