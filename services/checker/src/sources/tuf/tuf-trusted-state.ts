import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TufRole } from '@lockstep/releases';
import { z } from 'zod';

/** The metadata files a tuf-js client keeps locally; the only names accepted from state. */
export const TRUSTED_FILES = ['root.json', 'timestamp.json', 'snapshot.json', 'targets.json'] as const;
export type TrustedFile = (typeof TRUSTED_FILES)[number];

/**
 * What the tuf source persists between checks (the checker stores it in Postgres):
 * - `pinnedRoot`: sha256 of the configured trustedRoot the rest was derived from; when the
 *   operator pins another root, everything else trusted is dropped.
 * - `trusted`: filename → exact JSON text of the metadata tuf-js trusts now. Kept as strings
 *   because snapshot/timestamp pin the files' bytes. Carries rollback protection across
 *   restarts and replicas.
 * - `verified`: target path → sha256 whose bytes were downloaded and checked once.
 * - `etag`: ETag of timestamp.json (http mode) for If-None-Match.
 */
export const TufSourceState = z.object({
  pinnedRoot: z.string().optional(),
  trusted: z.partialRecord(z.enum(TRUSTED_FILES), z.string()).optional(),
  verified: z.record(z.string(), z.string()).optional(),
  etag: z.string().optional(),
});
export type TufSourceState = z.infer<typeof TufSourceState>;

/** State carried into one check. */
export interface PriorState {
  trusted: Partial<Record<TrustedFile, string>>;
  verified: Record<string, string>;
  etag?: string;
}

/** sha256 hex of the pinned root bytes. */
export const digestOf = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** Reads the persisted state; unreadable state or a re-pinned root start from the pinned root alone. */
export function readPriorState(raw: Record<string, unknown>, pinnedRootDigest: string): PriorState {
  const parsed = TufSourceState.safeParse(raw);
  const state = parsed.success ? parsed.data : {};
  const verified = state.verified ?? {};
  if (state.pinnedRoot !== pinnedRootDigest) return { trusted: {}, verified };
  return { trusted: state.trusted ?? {}, verified, etag: state.etag };
}

/**
 * Versions of the metadata a check last trusted, by role, when the persisted state derives
 * from `pinnedRoot` (empty otherwise, or for what cannot be read).
 */
export function trustedVersions(raw: Record<string, unknown>, pinnedRoot: Buffer): Partial<Record<TufRole, number>> {
  const { trusted } = readPriorState(raw, digestOf(pinnedRoot));
  const versions: Partial<Record<TufRole, number>> = {};
  for (const name of TRUSTED_FILES) {
    try {
      const version = (JSON.parse(trusted[name] ?? 'null') as { signed?: { version?: unknown } } | null)?.signed
        ?.version;
      if (typeof version === 'number') versions[name.replace('.json', '') as TufRole] = version;
    } catch {
      // unreadable state sets no floor; the check itself refuses it
    }
  }
  return versions;
}

/** Writes the trusted metadata into dir for tuf-js (root.json: the trusted one, else the pinned one). */
export async function materializeTrusted(
  dir: string,
  pinnedRoot: Buffer,
  trusted: PriorState['trusted'],
): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'root.json'), trusted['root.json'] ?? pinnedRoot);
  for (const name of TRUSTED_FILES) {
    const text = trusted[name];
    if (name !== 'root.json' && text !== undefined) await writeFile(join(dir, name), text);
  }
}

/** Reads back what tuf-js trusts after a refresh. */
export async function readTrusted(dir: string): Promise<Partial<Record<TrustedFile, string>>> {
  const out: Partial<Record<TrustedFile, string>> = {};
  for (const name of TRUSTED_FILES) {
    try {
      out[name] = await readFile(join(dir, name), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return out;
}
