import { z } from 'zod';
import { LockReleaseV1, LockViewV1 } from '../rollout-queries';

/** A lock key in a path: `cluster` is the one every rollout takes. */
export const LockKeyParam = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, {
  message: 'expected a lock key such as cluster (lowercase letters, digits, dash, underscore)',
});

/**
 * Body of `POST /v1/locks/:key/release`: the holder's fencing token, why, and `confirm: true`.
 * Removing a lock lets another scheduler replica take over at once, so it is never implied; who
 * asks is the request's API token, never a name in the body.
 */
export const ReleaseLockBody = LockReleaseV1.omit({ key: true, actor: true })
  .extend({
    /** Fencing token of the holder to remove. */
    token: LockReleaseV1.shape.token.describe(
      'fencing token of the holder to remove, as GET /v1/locks (`lockstep locks`) shows it; a newer holder is never removed',
    ),
    /** Why (recorded in the audit trail). */
    reason: LockReleaseV1.shape.reason.describe('why (recorded in the audit trail)'),
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
  /** True: the named holder was removed. */
  released: z.boolean(),
  /** The removed lease as the scheduler reported it. */
  removed: z.record(z.string(), z.unknown()).nullable(),
});
export type LockReleaseResult = z.infer<typeof LockReleaseResult>;
