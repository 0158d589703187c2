import { z } from 'zod';
import { LockReleaseV1, LockViewV1 } from '../rollout-queries';

/** A lock key in a path: `cluster` is the one every rollout takes. */
export const LockKeyParam = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, {
  message: 'expected a lock key such as cluster (lowercase letters, digits, dash, underscore)',
});

/**
 * Body of `POST /v1/locks/:key/release`: who asks, why, and `confirm: true`. Removing a
 * lock lets another scheduler replica take over at once, so it is never implied.
 */
export const ReleaseLockBody = LockReleaseV1.omit({ key: true })
  .extend({
    /** Who force-releases (recorded in the audit log). */
    by: LockReleaseV1.shape.by.describe('who force-releases (recorded in the audit log), e.g. alice@ops-host'),
    /** Why (recorded in the audit log). */
    reason: LockReleaseV1.shape.reason.describe('why (recorded in the audit log)'),
    /** Must be true. */
    confirm: LockReleaseV1.shape.confirm.describe(
      'must be true: the holder may still be conducting a rollout, and another scheduler replica can take the lock at once',
    ),
  })
  .strict();
export type ReleaseLockBody = z.infer<typeof ReleaseLockBody>;

/** One audited operator action on a lock. */
export const LockAuditView = z.object({
  /** The audit record's id. */
  id: z.string(),
  /** The lock acted on. */
  key: z.string(),
  /** `force_release`. */
  action: z.string(),
  /** Who did it. */
  by: z.string(),
  /** Why, as they said. */
  reason: z.string(),
  /** Holder, rollout and token of the removed lease; null when the lock was free. */
  removed: z
    .object({ holder: z.string().nullable(), rolloutId: z.string().nullable(), token: z.number().int().nullable() })
    .nullable(),
  /** When (RFC 3339). */
  at: z.string(),
});
export type LockAuditView = z.infer<typeof LockAuditView>;

/** `GET /v1/locks`: held locks (empty when the cluster is free) and the latest force-releases, newest first. */
export const LocksView = z.object({
  /** The held locks. */
  items: z.array(LockViewV1),
  /** The latest force-releases, newest first. */
  audit: z.array(LockAuditView),
});
export type LocksView = z.infer<typeof LocksView>;

/** What a force-release answers. */
export const LockReleaseResult = z.object({
  /** The lock asked for. */
  key: z.string(),
  /** False when nobody held the lock (nothing was removed; the request is audited anyway). */
  released: z.boolean(),
  /** The removed lease as the scheduler reported it. */
  removed: z.record(z.string(), z.unknown()).nullable(),
});
export type LockReleaseResult = z.infer<typeof LockReleaseResult>;
