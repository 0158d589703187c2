import { z } from 'zod';
import { LockReleaseV1 } from '@lockstep/contracts';

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
    by: LockReleaseV1.shape.by.describe('who force-releases (recorded in the audit log), e.g. alice@ops-host'),
    reason: LockReleaseV1.shape.reason.describe('why (recorded in the audit log)'),
    confirm: LockReleaseV1.shape.confirm.describe(
      'must be true: the holder may still be conducting a rollout, and another scheduler replica can take the lock at once',
    ),
  })
  .strict();
export type ReleaseLockBody = z.infer<typeof ReleaseLockBody>;

/** A held lock. */
export const LockViewSchema = z.object({
  key: z.string(),
  /** Scheduler replica holding the lease. */
  holder: z.string(),
  /** Rollout the lock was taken for. */
  rolloutId: z.string(),
  /** When the holder acquired it (RFC 3339, holder's clock). */
  since: z.string(),
  /** When the holder last renewed it (RFC 3339, holder's clock). */
  renewedAt: z.string(),
  /** Fencing token: every node command of this holder carries it; agents reject older ones. */
  token: z.number().int(),
  /** When NATS drops the entry unless it is renewed (RFC 3339, estimate); a holder that stopped renewing loses the lock then. */
  expiresAt: z.string().nullable(),
});
export type LockView = z.infer<typeof LockViewSchema>;

/** One audited operator action on a lock. */
export const LockAuditViewSchema = z.object({
  id: z.string(),
  key: z.string(),
  /** `force_release`. */
  action: z.string(),
  by: z.string(),
  reason: z.string(),
  /** Holder, rollout and token of the removed lease; null when the lock was free. */
  removed: z
    .object({ holder: z.string().nullable(), rolloutId: z.string().nullable(), token: z.number().int().nullable() })
    .nullable(),
  at: z.string(),
});
export type LockAuditView = z.infer<typeof LockAuditViewSchema>;

/** `GET /v1/locks`: held locks (empty when the cluster is free) and the latest force-releases, newest first. */
export const LocksViewSchema = z.object({
  items: z.array(LockViewSchema),
  audit: z.array(LockAuditViewSchema),
});
export type LocksView = z.infer<typeof LocksViewSchema>;

/** What a force-release answers. */
export const LockReleaseResultSchema = z.object({
  key: z.string(),
  /** False when nobody held the lock (nothing was removed; the request is audited anyway). */
  released: z.boolean(),
  /** The removed lease as the scheduler reported it. */
  removed: z.record(z.string(), z.unknown()).nullable(),
});
export type LockReleaseResult = z.infer<typeof LockReleaseResultSchema>;

/** How many audit entries `GET /v1/locks` shows. */
export const LOCK_AUDIT_SHOWN = 10;
