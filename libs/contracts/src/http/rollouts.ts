import { z } from 'zod';
import { RolloutNodeStatuses, RolloutStates, SkippedNodeV1 } from '../fleet';
import { RollbackCreateV1, RolloutCreateV1, RolloutPlanV1, RolloutStrategyV1 } from '../rollout-queries';
import { LimitParam } from './common';

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
  /** Only rollouts in this state. */
  state: z.enum(RolloutStates, { message: `state must be one of ${RolloutStates.join(', ')}` }).optional(),
  /** Most rollouts answered (1..200, default 50). */
  limit: LimitParam,
});
export type ListRolloutsQuery = z.infer<typeof ListRolloutsQuery>;

/** What creating a rollout or rollback answers. */
export const RolloutCreated = z.object({
  /** Null for a dry run: nothing was stored or started. */
  rolloutId: z.uuid().nullable(),
  /** True when only the plan was made. */
  dryRun: z.boolean(),
  /** The scheduler's plan: batches in order, canary first. */
  plan: RolloutPlanV1,
});
export type RolloutCreated = z.infer<typeof RolloutCreated>;

/** Nodes of a rollout by outcome. */
export const RolloutCounts = z.object({
  /** Every node the rollout selected. */
  total: z.number().int(),
  /** Not started yet. */
  pending: z.number().int(),
  /** Installing or reverting now. */
  inProgress: z.number().int(),
  /** Updated and healthy. */
  succeeded: z.number().int(),
  /** Failed installs and failed reverts. */
  failed: z.number().int(),
  /** Put back on their previous version (by the agent, or by the rollout's auto-rollback). */
  rolledBack: z.number().int(),
});
export type RolloutCounts = z.infer<typeof RolloutCounts>;

/** A rollout as lists show it. */
export const RolloutView = z.object({
  /** The rollout's id (a UUID). */
  id: z.string(),
  /** The component updated. */
  component: z.string(),
  /** The version the nodes move to. */
  targetVersion: z.string(),
  /** upgrade, downgrade or rollback. */
  kind: z.string(),
  /** As the operator gave it: `all`, `group=canary`, `node-1,node-2`. */
  selector: z.string(),
  /** planned, running, paused, succeeded, failed, aborted or rolled_back. */
  state: z.enum(RolloutStates),
  /** Why it is in this state (who paused it, which nodes failed). */
  reason: z.string().nullable(),
  /** How it proceeds, with percentages resolved to counts. */
  strategy: RolloutStrategyV1,
  /** For a rollback: the rollout it undoes. */
  rollbackOf: z.string().nullable(),
  /** Scheduler replica conducting it. */
  conductor: z.string().nullable(),
  /** Fencing token of the conductor that last claimed it. */
  lockToken: z.number().int(),
  /** Its nodes by outcome. */
  counts: RolloutCounts,
  /** Selected nodes it left out (lost ones) and why; empty when none. */
  skipped: z.array(SkippedNodeV1),
  /** When it was planned (RFC 3339). */
  createdAt: z.string(),
  /** When it last changed (RFC 3339). */
  updatedAt: z.string(),
  /** When it reached a final state; null while it runs. */
  finishedAt: z.string().nullable(),
});
export type RolloutView = z.infer<typeof RolloutView>;

/** One node's part in a rollout. */
export const RolloutNodeView = z.object({
  /** The node's id. */
  nodeId: z.string(),
  /** 0-based batch; canary batches come first. */
  batch: z.number().int(),
  /** In a canary batch. */
  canary: z.boolean(),
  /** What the node ran before (null: the component was not installed). */
  fromVersion: z.string().nullable(),
  /** pending, installing, succeeded, failed, rolled_back, reverting, reverted, revert_failed, timed_out, revert_timed_out. */
  status: z.enum(RolloutNodeStatuses),
  /** Install step reported last (preflight … health_check, rolling_back). */
  step: z.string().nullable(),
  /** 0..100 over the whole install. */
  percent: z.number().int(),
  /** Why the node failed (the failing step first). */
  error: z.string().nullable(),
  /** When its command was sent. */
  startedAt: z.string().nullable(),
  /** When it reached a final status. */
  finishedAt: z.string().nullable(),
});
export type RolloutNodeView = z.infer<typeof RolloutNodeView>;

/** A rollout with every node, in batch order (`GET /v1/rollouts/:id`). */
export const RolloutDetail = RolloutView.extend({
  /** Every node, in batch order. */
  nodes: z.array(RolloutNodeView),
});
export type RolloutDetail = z.infer<typeof RolloutDetail>;

/** What pause, resume and abort answer. */
export const RolloutActionResult = z.object({
  /** The rollout acted on. */
  rolloutId: z.string(),
  /** Its state after the action. */
  state: z.enum(RolloutStates),
});
export type RolloutActionResult = z.infer<typeof RolloutActionResult>;
