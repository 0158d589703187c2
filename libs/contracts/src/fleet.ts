import { z } from 'zod';

/**
 * Fleet contracts (rolling updates). Node commands travel on per-node subjects under
 * `cmd.node.<nodeId>.` in the COMMANDS stream; these are WIRE NAMES like Subjects.
 */
export const NodeSubjects = {
  /** Command to one node: install (or roll back to) a version. */
  install: (nodeId: string) => `cmd.node.${nodeId}.install.v1`,
  /** Filter an agent consumes: every command for its node. */
  allFor: (nodeId: string) => `cmd.node.${nodeId}.>`,
} as const;

/** Durable consumers of node commands on COMMANDS; WIRE NAMES (NATS permissions name them). */
export const NodeConsumers = {
  /**
   * The consumer one node's agent pulls its commands through (filter `NodeSubjects.allFor`).
   * The scheduler creates it before its first command to the node; the agent may only use it.
   */
  installer: (nodeId: string) => `installer-${nodeId}`,
} as const;

/** KV buckets (names are prefixed with the namespace, upper-cased). */
export const FleetBuckets = {
  /** Node records, refreshed by each agent's heartbeat; an entry that stops being refreshed means a lost node. */
  Nodes: 'NODES',
  /** The cluster lock; the entry's revision is the fencing token. */
  Locks: 'LOCKS',
} as const;

/** Node ids: lowercase letters, digits, dash, underscore (they are subject tokens). */
export const NodeId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'node ids are lowercase letters, digits, dash and underscore');

/** What an agent publishes about its node on every heartbeat. */
export const NodeRecordV1 = z.object({
  id: NodeId,
  hostname: z.string(),
  labels: z.record(z.string(), z.string()),
  /** Component name -> running version (absent while nothing is installed). */
  components: z.record(z.string(), z.string()),
  /** Components this agent manages, installed or not (a fresh node manages one but runs none). */
  manages: z.array(z.string()).default([]),
  agentVersion: z.string(),
  /** Heartbeat time (RFC 3339). */
  seenAt: z.string(),
  /** Install state of the node right now (idle, or a step name). */
  state: z.string().default('idle'),
});
export type NodeRecordV1 = z.infer<typeof NodeRecordV1>;

/** Install steps, in order, as progress events report them. */
export const InstallSteps = [
  'preflight',
  'backing_up',
  'downloading',
  'verifying',
  'unpacking',
  'migrating_config',
  'migrate_hook',
  'restoring_data',
  'swapping',
  'restarting',
  'health_check',
  'rolling_back',
] as const;
export type InstallStep = (typeof InstallSteps)[number];

/** Command `cmd.node.<id>.install.v1`. */
export const InstallCommandV1 = z.object({
  /** Idempotency key: the same command delivered twice is executed once. */
  commandId: z.string().min(1),
  rolloutId: z.string(),
  nodeId: NodeId,
  component: z.string(),
  version: z.string(),
  /** install: move to `version`; rollback: return to `version` (the previous one). */
  action: z.enum(['install', 'rollback']),
  artifact: z.object({
    uri: z.string(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    length: z.number().int().nonnegative(),
  }),
  /**
   * Fencing token: revision of the acquiring write of the lock entry the sender holds. An agent
   * obeys only the live holder's token (or a command of the rollout that holder conducts).
   */
  fencingToken: z.number().int().positive(),
  /** Lock key the token belongs to; an agent refuses any key but the one in its settings. */
  lockKey: z.string(),
  health: z.object({ minHealthyMs: z.number().int().nonnegative(), deadlineMs: z.number().int().positive() }),
  /** false: skip the pre-update backup for this install; absent or true: the node's policy decides (default on). */
  backup: z.boolean().optional(),
  /** rollback --restore-data: restore this backup (the node's pre-update backup) before swapping back. */
  restoreBackupId: z.string().optional(),
  /** When the sender issued it (RFC 3339); an agent refuses a command older than its maximum age. */
  issuedAt: z.string(),
  /**
   * When the sender gives up on the command (RFC 3339; the rollout's progress deadline): an
   * agent refuses to start it after that, and one that gets to its swap later stops there,
   * `failed` with nothing changed, instead of moving to a release the fleet has abandoned.
   */
  deadline: z.string().optional(),
});
export type InstallCommandV1 = z.infer<typeof InstallCommandV1>;

/** Event `evt.node.install.progress.v1.<nodeId>` (published per node). */
export const InstallProgressV1 = z.object({
  commandId: z.string(),
  rolloutId: z.string(),
  nodeId: NodeId,
  component: z.string(),
  version: z.string(),
  step: z.enum(InstallSteps),
  /** 0..100 over the whole install. */
  percent: z.number().min(0).max(100),
  message: z.string().optional(),
});
export type InstallProgressV1 = z.infer<typeof InstallProgressV1>;

/**
 * Why a node agent refused a command before doing anything (wire values: the `refusal` of a
 * `rejected` install.finished event, and the code its `error` starts with). A refused command
 * changes nothing on the node and leaves its fence where it was.
 */
export const CommandRefusal = {
  /** Malformed: unknown component, bad version, unreadable `issuedAt`. */
  BadCommand: 'BAD_COMMAND',
  /** The command names another node than the agent's own NODE_ID. */
  WrongNode: 'WRONG_NODE',
  /** The command names a lock other than the one in the agent's settings (AGENT_LOCK_KEY). */
  UnknownLockKey: 'UNKNOWN_LOCK_KEY',
  /** Nobody holds the agent's lock now, so no command can come from its live holder. */
  NoLiveHolder: 'NO_LIVE_HOLDER',
  /** The command's fencing token is not the live holder's, nor does it belong to the holder's rollout. */
  NotLiveHolder: 'NOT_LIVE_HOLDER',
  /** The token is older than the newest this node has seen (a newer holder is in charge). */
  StaleFencingToken: 'STALE_FENCING_TOKEN',
  /** `issuedAt` is further from the agent's clock than AGENT_COMMAND_MAX_AGE. */
  Expired: 'COMMAND_EXPIRED',
  /** A redelivered message older than one this node already handled. */
  Superseded: 'SUPERSEDED',
  /**
   * The agent has no trust anchor pinned (AGENT_TRUSTED_ROOT, or AGENT_NPM_KEYS for an npm
   * component), so it could check the artifact only against the sha256 the command itself names.
   */
  NoTrustAnchor: 'NO_TRUST_ANCHOR',
} as const;
export type CommandRefusal = (typeof CommandRefusal)[keyof typeof CommandRefusal];

/** Outcomes of one install command. */
export const InstallResults = ['succeeded', 'failed', 'rolled_back', 'rejected'] as const;
export type InstallResult = (typeof InstallResults)[number];

/** Event `evt.node.install.finished.v1.<nodeId>` (published per node). */
export const InstallFinishedV1 = z.object({
  commandId: z.string(),
  rolloutId: z.string(),
  nodeId: NodeId,
  component: z.string(),
  /** Version the command asked for. */
  version: z.string(),
  /** Version the node runs now. */
  runningVersion: z.string().nullable(),
  previousVersion: z.string().nullable(),
  /** succeeded; failed (node untouched, failure before the swap); rolled_back (failure after the swap, previous release restored); rejected (refused before anything was done: see `refusal`). */
  result: z.enum(InstallResults),
  /** Step that failed, and why (says what to look at). */
  failedStep: z.enum(InstallSteps).optional(),
  /** Why a `rejected` command was refused before anything was done (see CommandRefusal). */
  refusal: z.enum(CommandRefusal).optional(),
  error: z.string().optional(),
  /** True when the node already ran the version and nothing was done. */
  noop: z.boolean().default(false),
  /** The pre-update backup taken before anything changed (absent when none was taken). */
  backupId: z.string().optional(),
  /** The backup restored before swapping back (rollback --restore-data). */
  restoredBackupId: z.string().optional(),
});
export type InstallFinishedV1 = z.infer<typeof InstallFinishedV1>;

/** Rollout states. */
export const RolloutStates = ['planned', 'running', 'paused', 'succeeded', 'failed', 'aborted', 'rolled_back'] as const;
export type RolloutState = (typeof RolloutStates)[number];

/**
 * A node's status within a rollout, as `GET /v1/rollouts/{id}` shows it: pending (no command
 * yet), installing, then the install's outcome (succeeded, failed, rolled_back by the agent);
 * when the rollout's auto-rollback returns an updated node: reverting, then reverted or revert_failed;
 * timed_out when no outcome came within the progress deadline (unknown whether it installed: a
 * failure, reverted with the others, and a late outcome is still recorded); revert_timed_out when
 * a revert brought no outcome within the deadline (its late outcome says whether the node is back:
 * reverted, or succeeded when it still runs the release, which the scheduler then reverts again).
 */
export const RolloutNodeStatuses = [
  'pending',
  'installing',
  'succeeded',
  'failed',
  'rolled_back',
  'reverting',
  'reverted',
  'revert_failed',
  'timed_out',
  'revert_timed_out',
] as const;
export type RolloutNodeStatus = (typeof RolloutNodeStatuses)[number];

/** A selected node a rollout leaves out, and why (e.g. it stopped heart-beating). */
export const SkippedNodeV1 = z.object({
  /** The node left out. */
  nodeId: z.string(),
  /** Why, for operators: `lost since <last heartbeat> (no heartbeat since then)`. */
  reason: z.string(),
});
export type SkippedNodeV1 = z.infer<typeof SkippedNodeV1>;

/** Event `evt.rollout.changed.v1`. */
export const RolloutChangedV1 = z.object({
  rolloutId: z.string(),
  component: z.string(),
  targetVersion: z.string(),
  state: z.enum(RolloutStates),
  previousState: z.enum(RolloutStates).nullable(),
  reason: z.string().optional(),
  /** Selected nodes the rollout left out and why (lost ones); present when it was planned (previousState null) and left some out. */
  skipped: z.array(SkippedNodeV1).optional(),
  nodes: z.object({
    total: z.number().int(),
    succeeded: z.number().int(),
    failed: z.number().int(),
    rolledBack: z.number().int(),
  }),
});
export type RolloutChangedV1 = z.infer<typeof RolloutChangedV1>;
