import { z } from 'zod';

/** Count or percentage, e.g. 2 or "20%". */
export const CountOrPercent = z.union([
  z.number().int().nonnegative(),
  z.string().regex(/^\d{1,3}%$/, 'a count like 2 or a percentage like 20%'),
]);
export type CountOrPercent = z.infer<typeof CountOrPercent>;

/** Request of `qry.scheduler.rollout-create.v1`. */
export const RolloutCreateV1 = z.object({
  component: z.string().min(1),
  version: z.string().min(1),
  /** `all` (default), labels `group=canary,zone=a`, or node ids `node-1,node-2`. */
  selector: z.string().default('all'),
  direction: z.enum(['upgrade', 'downgrade']).default('upgrade'),
  maxParallel: z.number().int().positive().default(1),
  canary: CountOrPercent.default(0),
  minHealthyMs: z.number().int().nonnegative().default(10_000),
  healthyDeadlineMs: z
    .number()
    .int()
    .positive()
    .default(5 * 60_000),
  progressDeadlineMs: z
    .number()
    .int()
    .positive()
    .default(10 * 60_000),
  maxFailures: CountOrPercent.default(0),
  autoRollback: z.boolean().default(true),
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
export const RolloutActionV1 = z.object({ rolloutId: z.string().uuid(), action: z.enum(['pause', 'resume', 'abort']) });
export type RolloutActionV1 = z.infer<typeof RolloutActionV1>;

/** Request of `qry.scheduler.rollback-create.v1`: return every node a rollout touched to its previous version. */
export const RollbackCreateV1 = z.object({
  rolloutId: z.string().uuid().optional(),
  maxParallel: z.number().int().positive().default(1),
  /** Also restore each node's pre-update backup taken by the rollout being rolled back. */
  restoreData: z.boolean().default(false),
});
export type RollbackCreateV1 = z.infer<typeof RollbackCreateV1>;

/** Request of `qry.scheduler.lock-release.v1` (operator force-release, audited). */
export const LockReleaseV1 = z.object({
  key: z.string().default('cluster'),
  by: z.string().min(1),
  reason: z.string().min(1),
  confirm: z.literal(true, {
    message: 'force-releasing a lock needs explicit confirmation (confirm: true / --yes-release-lock)',
  }),
});
export type LockReleaseV1 = z.infer<typeof LockReleaseV1>;

/** Request of `qry.checker.release-info.v1`: a release's verified artifact, from the component's source. */
export const ReleaseInfoV1 = z.object({ component: z.string(), version: z.string() });
export type ReleaseInfoV1 = z.infer<typeof ReleaseInfoV1>;

/** Reply of release-info. */
export interface ReleaseInfoReplyV1 {
  component: string;
  version: string;
  scheme: string;
  artifact: { uri: string; sha256: string; length: number };
}

/** A planned batch as `--dry-run` shows it. */
export interface PlannedBatchV1 {
  index: number;
  canary: boolean;
  nodes: Array<{ id: string; fromVersion: string | null }>;
}

/** A rollout plan. */
export interface RolloutPlanV1 {
  component: string;
  version: string;
  kind: 'upgrade' | 'downgrade' | 'rollback';
  lockKey: string;
  batches: PlannedBatchV1[];
  /** Nodes already at the version (no command needed, reported as no-ops). */
  alreadyAtVersion: string[];
  maxFailures: number;
}

/** A held cluster lock as the API shows it (`GET /v1/locks`). */
export interface LockViewV1 {
  key: string;
  holder: string;
  rolloutId: string;
  since: string;
  renewedAt: string;
  /** Fencing token carried by the holder's node commands. */
  token: number;
  expiresAt: string | null;
}
