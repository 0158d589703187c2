import { z } from 'zod';
import { RollbackCreateV1, RolloutCreateV1, RolloutStates, type RolloutPlanV1 } from '@lockstep/contracts';
import { LimitParam } from '../http/query-params';

/** A rollout id in a path or body: the UUID `GET /v1/rollouts` shows. */
export const RolloutId = z.uuid({
  message: 'expected a rollout id (a UUID, as GET /v1/rollouts or `lockstep rollouts` shows)',
});

const percentAtMost100 = (v: number | string | undefined): boolean =>
  typeof v !== 'string' || Number(v.slice(0, -1)) <= 100;

/**
 * Body of `POST /v1/rollouts`: the scheduler's RolloutCreateV1. Omitted fields take its
 * defaults; `dryRun: true` answers the plan and starts nothing.
 */
export const CreateRolloutBody = RolloutCreateV1.strict()
  .refine((b) => percentAtMost100(b.canary), { path: ['canary'], message: 'a percentage must be at most 100%' })
  .refine((b) => percentAtMost100(b.maxFailures), {
    path: ['maxFailures'],
    message: 'a percentage must be at most 100%',
  });
export type CreateRolloutBody = z.infer<typeof CreateRolloutBody>;

/** Body of `POST /v1/rollbacks`: the rollout to undo (default: the latest) and how many nodes at once. */
export const CreateRollbackBody = RollbackCreateV1.extend({ rolloutId: RolloutId.optional() }).strict();
export type CreateRollbackBody = z.infer<typeof CreateRollbackBody>;

/** Query of `GET /v1/rollouts`. */
export const ListRolloutsQuery = z.strictObject({
  /** Only rollouts of this component. */
  component: z.string().min(1).max(200).optional(),
  state: z.enum(RolloutStates, { message: `state must be one of ${RolloutStates.join(', ')}` }).optional(),
  limit: LimitParam,
});
export type ListRolloutsQuery = z.infer<typeof ListRolloutsQuery>;

/** A planned batch. */
const PlannedBatchSchema = z.object({
  /** 0-based position; batches run in this order. */
  index: z.number().int(),
  /** Canary batches run (and soak) before the rest. */
  canary: z.boolean(),
  nodes: z.array(z.object({ id: z.string(), fromVersion: z.string().nullable() })),
});

/** The scheduler's plan (the contracts' RolloutPlanV1). */
export const RolloutPlanSchema = z.object({
  component: z.string(),
  version: z.string(),
  kind: z.enum(['upgrade', 'downgrade', 'rollback']),
  /** The lock the rollout holds while it runs. */
  lockKey: z.string(),
  batches: z.array(PlannedBatchSchema),
  /** Selected nodes that already run the version: no command, reported as no-ops. */
  alreadyAtVersion: z.array(z.string()),
  /** Failed nodes tolerated; one more fails the rollout. */
  maxFailures: z.number().int(),
}) satisfies z.ZodType<RolloutPlanV1>;

/** What creating a rollout or rollback answers. */
export const RolloutCreatedSchema = z.object({
  /** Null for a dry run: nothing was stored or started. */
  rolloutId: z.uuid().nullable(),
  dryRun: z.boolean(),
  plan: RolloutPlanSchema,
});
export type RolloutCreated = z.infer<typeof RolloutCreatedSchema>;

/** How a rollout proceeds; percentages were resolved against the selected nodes when it was planned. */
export const RolloutStrategySchema = z.object({
  maxParallel: z.number().int(),
  canary: z.number().int(),
  minHealthyMs: z.number().int(),
  healthyDeadlineMs: z.number().int(),
  progressDeadlineMs: z.number().int(),
  maxFailures: z.number().int(),
  autoRollback: z.boolean(),
  pauseBetweenBatchesMs: z.number().int(),
  canarySoakMs: z
    .number()
    .int()
    .optional()
    .describe(
      'soak after the canary batch; absent in rollouts created before it existed, which soak pauseBetweenBatchesMs',
    ),
});

/** Nodes of a rollout by outcome. */
export const RolloutCountsSchema = z.object({
  total: z.number().int(),
  /** Not started yet. */
  pending: z.number().int(),
  /** Installing or reverting now. */
  inProgress: z.number().int(),
  succeeded: z.number().int(),
  /** Failed installs and failed reverts. */
  failed: z.number().int(),
  /** Put back on their previous version (by the agent, or by the rollout's auto-rollback). */
  rolledBack: z.number().int(),
});
export type RolloutCounts = z.infer<typeof RolloutCountsSchema>;

/** A rollout as lists show it. */
export const RolloutViewSchema = z.object({
  id: z.string(),
  component: z.string(),
  targetVersion: z.string(),
  /** upgrade, downgrade or rollback. */
  kind: z.string(),
  /** As the operator gave it: `all`, `group=canary`, `node-1,node-2`. */
  selector: z.string(),
  state: z.enum(RolloutStates),
  /** Why it is in this state (who paused it, which nodes failed). */
  reason: z.string().nullable(),
  strategy: RolloutStrategySchema,
  /** For a rollback: the rollout it undoes. */
  rollbackOf: z.string().nullable(),
  /** Scheduler replica conducting it. */
  conductor: z.string().nullable(),
  /** Fencing token of the conductor that last claimed it. */
  lockToken: z.number().int(),
  counts: RolloutCountsSchema,
  createdAt: z.string(),
  updatedAt: z.string(),
  finishedAt: z.string().nullable(),
});
export type RolloutView = z.infer<typeof RolloutViewSchema>;

/** One node's part in a rollout. */
export const RolloutNodeViewSchema = z.object({
  nodeId: z.string(),
  /** 0-based batch; canary batches come first. */
  batch: z.number().int(),
  canary: z.boolean(),
  /** What the node ran before (null: the component was not installed). */
  fromVersion: z.string().nullable(),
  /** pending, installing, succeeded, failed, rolled_back, reverting, reverted, revert_failed. */
  status: z.string(),
  /** Install step reported last (preflight … health_check, rolling_back). */
  step: z.string().nullable(),
  /** 0..100 over the whole install. */
  percent: z.number().int(),
  /** Why the node failed (the failing step first). */
  error: z.string().nullable(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});
export type RolloutNodeView = z.infer<typeof RolloutNodeViewSchema>;

/** A rollout with every node, in batch order. */
export const RolloutDetailSchema = RolloutViewSchema.extend({ nodes: z.array(RolloutNodeViewSchema) });
export type RolloutDetail = z.infer<typeof RolloutDetailSchema>;

/** What pause, resume and abort answer. */
export const RolloutActionResultSchema = z.object({ rolloutId: z.string(), state: z.enum(RolloutStates) });
export type RolloutActionResult = z.infer<typeof RolloutActionResultSchema>;
