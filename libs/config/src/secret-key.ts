import { z } from 'zod';

/** Length in bytes of a key that seals secrets at rest (AES-256-GCM). */
export const SECRET_KEY_BYTES = 32;

/** What a secret key setting must look like, said the way an operator can act on it. */
export const SECRET_KEY_FORM =
  'expected 32 random bytes as base64 (44 characters) or hex (64 characters); `lockstep secrets generate-key` prints one';

/** The 32 key bytes of a base64, base64url or hex key, or undefined when the text is not one. */
export function parseSecretKey(text: string): Buffer | undefined {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) {
    const key = Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (key.length === SECRET_KEY_BYTES) return key;
  }
  return undefined;
}

/** An optional secret key setting (e.g. LOCKSTEP_SECRET_KEY), parsed to its bytes. */
export const secretKeySetting = () =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined) return undefined;
      const key = parseSecretKey(v);
      if (!key) {
        ctx.addIssue({ code: 'custom', message: SECRET_KEY_FORM });
        return z.NEVER;
      }
      return key;
    });

/** A comma-separated list of secret keys (e.g. LOCKSTEP_SECRET_KEY_PREVIOUS), parsed to their bytes. */
export const secretKeyListSetting = () =>
  z
    .string()
    .default('')
    .transform((v, ctx) => {
      const keys: Buffer[] = [];
      for (const [i, text] of v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
        .entries()) {
        const key = parseSecretKey(text);
        if (!key) {
          ctx.addIssue({ code: 'custom', message: `key ${i + 1} of the list: ${SECRET_KEY_FORM}` });
          return z.NEVER;
        }
        keys.push(key);
      }
      return keys;
    });
