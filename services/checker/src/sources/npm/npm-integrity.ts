import { createHash } from 'node:crypto';

/** Digest algorithms we can check a tarball against, strongest first. */
const ALGORITHMS = ['sha512', 'sha384', 'sha256', 'sha1'] as const;
type Algorithm = (typeof ALGORITHMS)[number];
const BYTES: Record<Algorithm, number> = { sha512: 64, sha384: 48, sha256: 32, sha1: 20 };

/** What the registry says a tarball must hash to: the strongest algorithm it names and its accepted digests (hex). */
export interface ExpectedDigest {
  algorithm: Algorithm;
  hex: string[];
}

/**
 * Reads `dist.integrity` (Subresource Integrity, e.g. `sha512-<base64> sha1-<base64>`) and
 * falls back to `dist.shasum` (hex sha1, all that very old packages have). Per the SRI
 * rules, unknown algorithms and malformed entries are ignored and only the strongest
 * algorithm present counts. Returns null when nothing usable is published.
 */
export function expectedDigest(dist: { integrity?: string; shasum?: string }): ExpectedDigest | null {
  const found = new Map<Algorithm, string[]>();
  for (const token of (dist.integrity ?? '').trim().split(/\s+/)) {
    const m = /^(sha512|sha384|sha256|sha1)-([A-Za-z0-9+/]+={0,2})(?:\?.*)?$/.exec(token);
    if (!m) continue;
    const algorithm = m[1] as Algorithm;
    const bytes = Buffer.from(m[2], 'base64');
    if (bytes.length !== BYTES[algorithm]) continue;
    found.set(algorithm, [...(found.get(algorithm) ?? []), bytes.toString('hex')]);
  }
  if (found.size === 0 && dist.shasum && /^[0-9a-f]{40}$/i.test(dist.shasum))
    found.set('sha1', [dist.shasum.toLowerCase()]);
  const algorithm = ALGORITHMS.find((a) => found.has(a));
  return algorithm ? { algorithm, hex: found.get(algorithm)! } : null;
}

/** True when `data` hashes to one of the expected digests. */
export function matchesDigest(data: Buffer, expected: ExpectedDigest): boolean {
  return expected.hex.includes(createHash(expected.algorithm).update(data).digest('hex'));
}

/** Lowercase hex sha256 of `data`, the form the release contracts carry. */
export function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
