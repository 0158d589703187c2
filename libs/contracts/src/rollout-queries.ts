import { z } from 'zod';
import { AuditActor } from './auth';
import { SkippedNodeV1, type RolloutState } from './fleet';

/** Count or percentage, e.g. 2 or "20%". */
export const CountOrPercent = z.union([
  z.number().int().nonnegative(),
  z.string().regex(/^\d{1,3}%$/, 'a count like 2 or a percentage like 20%'),
]);
export type CountOrPercent = z.infer<typeof CountOrPercent>;

/** Request of `qry.scheduler.rollout-create.v1`. */
export const RolloutCreateV1 = z.object({
  /** The component to update. */
  component: z.string().min(1),
  /** The version to move the selected nodes to. */
  version: z.string().min(1),
  /** `all` (default), labels `group=canary,zone=a`, or node ids `node-1,node-2`. */
  selector: z.string().default('all'),
  /** upgrade refuses nodes already past the version; downgrade refuses nodes below it. */
  direction: z.enum(['upgrade', 'downgrade']).default('upgrade'),
  /** Nodes updated at once. */
  maxParallel: z.number().int().positive().default(1),
  /** Nodes (or a percentage of them) updated and soaked first. */
  canary: CountOrPercent.default(0),
  /** How long a node must stay healthy after its restart to count as updated. */
  minHealthyMs: z.number().int().nonnegative().default(10_000),
  /** How long a node may take to become healthy. */
  healthyDeadlineMs: z
    .number()
    .int()
    .positive()
    .default(5 * 60_000),
  /** A node that does not finish within this is counted failed. */
  progressDeadlineMs: z
    .number()
    .int()
    .positive()
    .default(10 * 60_000),
  /** Failed nodes (or a percentage) tolerated before the rollout fails. */
  maxFailures: CountOrPercent.default(0),
  /** Return updated nodes to their previous version when the rollout fails. */
  autoRollback: z.boolean().default(true),
  /** Wait after each batch but the last (after the canary batch: canarySoakMs). */
  pauseBetweenBatchesMs: z
    .number()
    .int()
    .nonnegative()
    .default(0)
    .describe('wait after each batch but the last, in ms (after the canary batch: canarySoakMs)'),
  /** Soak after the canary batch before the next batch starts; default: pauseBetweenBatchesMs. */
  canarySoakMs: z
    .number()
    .int()
    .nonnegative()
    .optional()
    .describe('how long the canary batch soaks before the next batch starts, in ms (default: pauseBetweenBatchesMs)'),
  /** Plan only: nothing is stored or sent. */
  dryRun: z.boolean().default(false),
});
export type RolloutCreateV1 = z.infer<typeof RolloutCreateV1>;

/** Request of `qry.scheduler.rollout-action.v1`. */
export const RolloutActionV1 = z.object({
  /** The rollout to act on. */
  rolloutId: z.string().uuid(),
  /** What to do with it. */
  action: z.enum(['pause', 'resume', 'abort']),
});
export type RolloutActionV1 = z.infer<typeof RolloutActionV1>;

/** Request of `qry.scheduler.rollback-create.v1`: return every node a rollout touched to its previous version. */
export const RollbackCreateV1 = z.object({
  /** The rollout to undo; the latest when absent. */
  rolloutId: z.string().uuid().optional(),
  /** Nodes rolled back at once. */
  maxParallel: z.number().int().positive().default(1),
  /** Also restore each node's pre-update backup taken by the rollout being rolled back. */
  restoreData: z.boolean().default(false),
});
export type RollbackCreateV1 = z.infer<typeof RollbackCreateV1>;

/**
 * Request of `qry.scheduler.lock-release.v1` (operator force-release, audited): removes the
 * holder named by its fencing token and no other, so a release can never remove a newer,
 * healthy holder that took the lock after the operator looked.
 */
export const LockReleaseV1 = z.object({
  /** The lock to remove. */
  key: z.string().default('cluster'),
  /** Fencing token of the holder to remove, as `lockstep locks` shows it; refused (LOCK_HOLDER_CHANGED) when the lock is held under another token or free. */
  token: z
    .number({ message: 'token: the fencing token of the holder to remove, as `lockstep locks` shows it' })
    .int()
    .positive(),
  /** Why (recorded in the audit trail). */
  reason: z.string().min(1),
  /** Must be true: the holder may still be conducting a rollout. */
  confirm: z.literal(true, {
    message: 'force-releasing a lock needs explicit confirmation (confirm: true / --yes-release-lock)',
  }),
  /** Who asks: the API request's token (recorded in the audit trail). */
  actor: AuditActor,
});
export type LockReleaseV1 = z.infer<typeof LockReleaseV1>;

/** Request of `qry.checker.release-info.v1`: a release's verified artifact, from the component's source. */
export const ReleaseInfoV1 = z.object({
  /** The component released. */
  component: z.string(),
  /** The version whose artifact is wanted. */
  version: z.string(),
});
export type ReleaseInfoV1 = z.infer<typeof ReleaseInfoV1>;

/** Reply of `qry.checker.release-info.v1`. */
export interface ReleaseInfoReplyV1 {
  /** The component released. */
  component: string;
  /** The version, as the source spells it. */
  version: string;
  /** The component's version scheme id. */
  scheme: string;
  /** Where the artifact is, its sha256 (hex) and length in bytes, verified against the source's metadata. */
  artifact: { uri: string; sha256: string; length: number };
}

/** A planned batch as `--dry-run` shows it. */
export const PlannedBatchV1 = z.object({
  /** 0-based position; batches run in this order. */
  index: z.number().int(),
  /** Canary batches run (and soak) before the rest. */
  canary: z.boolean(),
  /** The batch's nodes with the version each runs now (null: the component is not installed). */
  nodes: z.array(z.object({ id: z.string(), fromVersion: z.string().nullable() })),
});
export type PlannedBatchV1 = z.infer<typeof PlannedBatchV1>;

/** The scheduler's plan of a rollout. */
export const RolloutPlanV1 = z.object({
  /** The component updated. */
  component: z.string(),
  /** The version every selected node ends at. */
  version: z.string(),
  /** upgrade, downgrade or rollback (of another rollout). */
  kind: z.enum(['upgrade', 'downgrade', 'rollback']),
  /** The lock the rollout holds while it runs. */
  lockKey: z.string(),
  /** The batches, in the order they run. */
  batches: z.array(PlannedBatchV1),
  /** Selected nodes that already run the version: no command, reported as no-ops. */
  alreadyAtVersion: z.array(z.string()),
  /** Failed nodes tolerated; one more fails the rollout. */
  maxFailures: z.number().int(),
  /** Selected nodes the rollout leaves out (lost ones), each with why; empty when none. */
  skipped: z.array(SkippedNodeV1).default([]),
});
export type RolloutPlanV1 = z.infer<typeof RolloutPlanV1>;

/** Reply of `qry.scheduler.rollout-create.v1` and `qry.scheduler.rollback-create.v1`. */
export interface RolloutCreateReplyV1 {
  /** The plan (of the rollout started, or of the dry run). */
  plan: RolloutPlanV1;
  /** The started rollout; absent for a dry run. */
  rolloutId?: string;
}

/** Reply of `qry.scheduler.rollout-action.v1`. */
export interface RolloutActionReplyV1 {
  /** The rollout's state after the action. */
  state: RolloutState;
}

/** Reply of `qry.scheduler.lock-release.v1`. */
export interface LockReleaseReplyV1 {
  /** True: the named holder was removed (a release that cannot be done is refused instead). */
  released: boolean;
  /** The removed lease as the lock store held it; null when nothing was removed. */
  removed: Record<string, unknown> | null;
}

/** How a rollout proceeds; percentages were resolved against the selected nodes when it was planned. Stored with the rollout. */
export const RolloutStrategyV1 = z.object({
  /** Nodes updated at once. */
  maxParallel: z.number().int(),
  /** Nodes updated and soaked first. */
  canary: z.number().int(),
  /** How long a node must stay healthy after its restart to count as updated. */
  minHealthyMs: z.number().int(),
  /** How long a node may take to become healthy. */
  healthyDeadlineMs: z.number().int(),
  /** A node that does not finish within this is counted failed. */
  progressDeadlineMs: z.number().int(),
  /** Failed nodes tolerated before the rollout fails. */
  maxFailures: z.number().int(),
  /** Return updated nodes to their previous version when the rollout fails. */
  autoRollback: z.boolean(),
  /** Wait after each batch but the last (after the canary batch: canarySoakMs). */
  pauseBetweenBatchesMs: z.number().int(),
  /**
   * Soak after the canary batch, before the next batch starts. Absent in rollouts stored before
   * it existed: those soak as long as pauseBetweenBatchesMs, as they always did.
   */
  canarySoakMs: z
    .number()
    .int()
    .optional()
    .describe(
      'soak after the canary batch; absent in rollouts created before it existed, which soak pauseBetweenBatchesMs',
    ),
  /** Rollback rollouts: restore each node's pre-update backup (of the rollout rolled back) before swapping back. */
  restoreData: z.boolean().optional(),
  /**
   * false: the nodes skip their pre-update backup (an automatic update whose policy says
   * `backupBefore: false`); absent: each node's own setting decides (AGENT_BACKUP_BEFORE_UPDATE).
   */
  backup: z.boolean().optional(),
});
export type RolloutStrategyV1 = z.infer<typeof RolloutStrategyV1>;

/** A held cluster lock as the API shows it (`GET /v1/locks`). */
export const LockViewV1 = z.object({
  /** The lock's key; `cluster` is the one every rollout takes. */
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
export type LockViewV1 = z.infer<typeof LockViewV1>;

/** Codes of the scheduler's refusals of rollout and rollback requests (wire names; the API answers 400). */
export const RolloutRequestErrorCode = {
  /** The checker, which verifies the release, did not answer. */
  CheckerUnavailable: 'CHECKER_UNAVAILABLE',
  /** An upgrade to an older version or a downgrade to a newer one. */
  WrongDirection: 'WRONG_DIRECTION',
  /** The rollout to roll back updated no node. */
  NothingToRollBack: 'NOTHING_TO_ROLL_BACK',
  /** The nodes to roll back ran different versions before. */
  MixedPreviousVersions: 'MIXED_PREVIOUS_VERSIONS',
  /** `--restore-data` for a node that took no pre-update backup in that rollout. */
  NoPreUpdateBackup: 'NO_PRE_UPDATE_BACKUP',
} as const;
export type RolloutRequestErrorCode = (typeof RolloutRequestErrorCode)[keyof typeof RolloutRequestErrorCode];
