import { createPublicKey, type KeyObject } from 'node:crypto';
import { z } from 'zod';

/** The only key type npm registries sign packages with today. */
export const NPM_KEY_TYPE = 'ecdsa-sha2-nistp256';

/** One registry signing key, as the registry's `/-/npm/v1/keys` answer lists it. */
const NpmRegistryKeyJson = z.object({
  /** `SHA256:<base64>` id that `dist.signatures[].keyid` names. */
  keyid: z.string().min(1),
  keytype: z.literal(NPM_KEY_TYPE),
  scheme: z.literal(NPM_KEY_TYPE),
  /** SubjectPublicKeyInfo, DER, base64. */
  key: z.string().min(1),
  /** RFC 3339; signatures on versions published after it are not accepted. null: no expiry. */
  expires: z.string().nullable().optional(),
});

/** The registry's `/-/npm/v1/keys` answer (`{ "keys": [...] }`), or the bare list. */
const NpmRegistryKeysJson = z.union([
  z.object({ keys: z.array(NpmRegistryKeyJson).min(1) }),
  z.array(NpmRegistryKeyJson).min(1),
]);

/** A pinned registry signing key, ready to verify with. */
export interface NpmRegistryKey {
  keyid: string;
  publicKey: KeyObject;
  /** Epoch ms after which versions published are no longer accepted under this key; undefined: never. */
  expiresAt?: number;
}

/**
 * Parses the pinned registry signing keys (AGENT_NPM_KEYS: the registry's `/-/npm/v1/keys`
 * answer, e.g. `curl https://registry.npmjs.org/-/npm/v1/keys`). Throws an Error saying what
 * is wrong and what is expected.
 */
export function parseNpmRegistryKeys(text: string): NpmRegistryKey[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(
      'expected JSON: the answer of the registry\'s /-/npm/v1/keys, e.g. {"keys":[{"keyid":"SHA256:…",…}]}',
    );
  }
  const parsed = NpmRegistryKeysJson.safeParse(json);
  if (!parsed.success)
    throw new Error(
      `expected {"keys":[{"keyid","keytype":"${NPM_KEY_TYPE}","scheme":"${NPM_KEY_TYPE}","key":"<base64 SPKI>","expires"}]} as /-/npm/v1/keys answers (${parsed.error.issues[0]?.message ?? 'invalid'})`,
    );
  const keys = Array.isArray(parsed.data) ? parsed.data : parsed.data.keys;
  return keys.map((k) => {
    let publicKey: KeyObject;
    try {
      publicKey = createPublicKey({ key: Buffer.from(k.key, 'base64'), format: 'der', type: 'spki' });
    } catch {
      throw new Error(`key ${k.keyid}: "key" is not a base64 DER public key`);
    }
    if (publicKey.asymmetricKeyType !== 'ec' || publicKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1')
      throw new Error(`key ${k.keyid}: expected an ECDSA P-256 public key`);
    const expiresAt = k.expires ? Date.parse(k.expires) : undefined;
    if (expiresAt !== undefined && Number.isNaN(expiresAt))
      throw new Error(`key ${k.keyid}: "expires" is not an RFC 3339 time`);
    return { keyid: k.keyid, publicKey, ...(expiresAt !== undefined ? { expiresAt } : {}) };
  });
}
