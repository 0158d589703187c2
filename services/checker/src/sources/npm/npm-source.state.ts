import { Channels } from '@lockstep/contracts';
import { z } from 'zod';
import type { SourceRelease } from '../release-source';

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/);

const StoredRelease = z.object({
  version: z.string(),
  channel: z.enum(Channels),
  security: z.boolean(),
  hotfix: z.boolean(),
  breaking: z.boolean(),
  notes: z.string(),
  artifact: z.object({ uri: z.string(), sha256: Sha256, length: z.number().int().nonnegative() }),
}) satisfies z.ZodType<SourceRelease>;

/** A tarball already downloaded and hashed; reused while the registry names the same tarball and digest. */
const StoredDigest = z.object({
  tarball: z.string(),
  /** `dist.integrity` (or `sha1:<shasum>`) when it was hashed; '' when the registry had none. */
  integrity: z.string(),
  sha256: Sha256,
  length: z.number().int().nonnegative(),
});
export type StoredDigest = z.infer<typeof StoredDigest>;

/** What the npm source keeps between checks (persisted by the checker as opaque JSON). */
export const NpmSourceState = z.object({
  /** Package document URL the rest belongs to; state for another URL is discarded. */
  url: z.string(),
  /** Validators from the last 200 answer, sent back as If-None-Match / If-Modified-Since. */
  etag: z.string().optional(),
  lastModified: z.string().optional(),
  /** Releases from the last 200 answer, repeated on a 304. */
  lastReleases: z.array(StoredRelease),
  /** sha256 and length of every tarball hashed so far, by version. */
  digests: z.record(z.string(), StoredDigest),
});
export type NpmSourceState = z.infer<typeof NpmSourceState>;

/** The previous state when it is well-formed and about the same URL; otherwise null (start afresh). */
export function readState(raw: Record<string, unknown>, url: string): NpmSourceState | null {
  const parsed = NpmSourceState.safeParse(raw);
  return parsed.success && parsed.data.url === url ? parsed.data : null;
}

/** The state to persist, without undefined fields (the checker stores JSON). */
export function writeState(state: NpmSourceState): Record<string, unknown> {
  return Object.fromEntries(Object.entries(state).filter(([, v]) => v !== undefined));
}
