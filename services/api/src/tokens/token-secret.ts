import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { TOKEN_PATTERN, TOKEN_PREFIX } from '@lockstep/contracts';

/** A freshly minted token: its id (the row key) and the whole token string, shown once. */
export interface MintedToken {
  id: string;
  token: string;
}

/** Makes a token `lst_<16 hex id>_<32 random bytes, base64url>`. */
export function mintToken(): MintedToken {
  const id = randomBytes(8).toString('hex');
  return { id, token: `${TOKEN_PREFIX}${id}_${randomBytes(32).toString('base64url')}` };
}

/** The id a well-formed token carries; undefined when the string is not a Lockstep token. */
export function tokenId(token: string): string | undefined {
  return TOKEN_PATTERN.exec(token)?.[1];
}

/**
 * The stored form of a token: SHA-256, hex. A token holds 256 random bits, so a fast hash is
 * enough (nobody can guess or brute-force the preimage); slow password hashes such as
 * scrypt exist for low-entropy secrets people choose, and would only slow every request.
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Whether `token` hashes to `storedHash`, compared in constant time. */
export function tokenMatches(token: string, storedHash: string): boolean {
  const a = Buffer.from(hashToken(token), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
