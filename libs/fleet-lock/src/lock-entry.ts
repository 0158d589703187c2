import { z } from 'zod';

/**
 * The JSON value of a lock entry. Written on acquire and rewritten on every renewal
 * (only `renewedAt` and `token` change).
 */
export const HolderInfoV1 = z.object({
  /** Replica id of the holder (e.g. `scheduler-host-1234`). */
  holder: z.string(),
  /** Rollout the holder acquired the lock for. */
  rolloutId: z.string(),
  /** When the lease was acquired (holder's wall clock, RFC 3339). */
  since: z.string(),
  /** When the holder last sent a renewal (holder's wall clock, RFC 3339). */
  renewedAt: z.string(),
  /** Random id of this lease: tells the holder's own writes apart from anyone else's. */
  leaseId: z.string(),
  /** Fencing token (revision of the acquiring write); absent until the first renewal, when it equals the entry revision. */
  token: z.number().int().positive().optional(),
});
export type HolderInfoV1 = z.infer<typeof HolderInfoV1>;

/** A raw entry as the store returns it. */
export interface StoredLockEntry {
  key: string;
  /** Stream sequence of this write. */
  revision: number;
  operation: 'PUT' | 'DEL' | 'PURGE';
  value: string;
  /** Server time the write was stored (the TTL counts from here). */
  created: Date;
}

/**
 * Who holds a lock, as the API and `lockstep locks` show it. (A type alias, so it is
 * assignable to `Record<string, unknown>` for audit rows.)
 */
export type LockView = {
  key: string;
  /** Replica id of the holder; `(unreadable)` when the entry was not written by a FleetLock. */
  holder: string;
  rolloutId: string;
  /** Acquired at (holder clock, RFC 3339). */
  since: string;
  /** Last renewal sent at (holder clock, RFC 3339). */
  renewedAt: string;
  /** Fencing token of the lease: revision of the acquiring write; stable while the lease lives. */
  token: number;
  /** Revision of the current entry (changes with every renewal). */
  revision: number;
  leaseId: string;
  /** Estimate of when the server drops the entry if it is not renewed: last write + bucket TTL. */
  expiresAt: string;
};

/** Encodes holder info for the store. */
export const encodeHolderInfo = (info: HolderInfoV1): string => JSON.stringify(info);

/** Decodes a value, or undefined when it is not a FleetLock holder record. */
export function decodeHolderInfo(value: string): HolderInfoV1 | undefined {
  try {
    const parsed = HolderInfoV1.safeParse(JSON.parse(value));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The view of a live entry, or null for none / a delete or purge marker. */
export function toLockView(entry: StoredLockEntry | undefined, leaseMs: number): LockView | null {
  if (!entry || entry.operation !== 'PUT') return null;
  const info = decodeHolderInfo(entry.value);
  const at = entry.created.toISOString();
  return {
    key: entry.key,
    holder: info?.holder ?? '(unreadable)',
    rolloutId: info?.rolloutId ?? '',
    since: info?.since ?? at,
    renewedAt: info?.renewedAt ?? at,
    token: info?.token ?? entry.revision,
    revision: entry.revision,
    leaseId: info?.leaseId ?? '',
    expiresAt: new Date(entry.created.getTime() + leaseMs).toISOString(),
  };
}
