import type {
  BackupOperationKind,
  BackupOperationState,
  BackupRecordV1,
  LockViewV1,
  SubscriptionViewV1,
} from '@lockstep/contracts';
import type { RolloutStrategy } from '@lockstep/persistence';
import type { RolloutPlanV1, RolloutState } from '@lockstep/contracts';

/**
 * The parts of the API's JSON answers the CLI reads (see GET /v1/openapi.json for the full
 * shapes). The CLI prints `--json` output as the API sent it.
 */

/** `{ items }` of list endpoints. */
export interface ListOf<T> {
  items: T[];
}

export interface ComponentView {
  name: string;
  scheme: string;
  channel: string;
  currentVersion: string | null;
  sourceType: string;
  source: Record<string, unknown>;
  lastCheckedAt: string | null;
  lastError: { code: string; message: string } | null;
}

export interface CheckResultView {
  component: string;
  ok: boolean;
  announced: string[];
  error?: { code: string; reason: string };
}

/** A subscription as the API shows it (secrets counted, URL tokens masked). */
export type SubscriptionView = SubscriptionViewV1;

export interface SubscriptionWriteResult {
  subscription: SubscriptionView;
  /** Only at creation of a webhook without a given secret; shown once. */
  generatedSecret?: string;
}

export interface DeliveryAttemptView {
  attempt: number;
  startedAt: string;
  durationMs: number;
  outcome: string;
  statusCode: number | null;
  response: string | null;
  error: string | null;
}

export interface DeliveryView {
  id: string;
  subscriptionId: string;
  subscriptionName: string | null;
  eventId: string;
  eventName: string;
  eventSubject: string | null;
  status: string;
  attemptCount: number;
  nextAttemptAt: string | null;
  lastError: string | null;
  createdAt: string;
  finishedAt: string | null;
  attempts: DeliveryAttemptView[];
}

export interface NodeView {
  id: string;
  hostname: string;
  labels: Record<string, string>;
  /** Component name -> running version. */
  components: Record<string, string>;
  agentVersion: string;
  /** `idle`, or the install step the node is in. */
  state: string;
  seenAt: string;
  /** The heartbeat stopped: never counted healthy. */
  lost: boolean;
}

/** The scheduler's plan of a rollout. */
export type RolloutPlanView = RolloutPlanV1;

/** `POST /v1/rollouts` and `POST /v1/rollbacks`. */
export interface RolloutCreatedView {
  /** Null for a dry run. */
  rolloutId: string | null;
  dryRun: boolean;
  plan: RolloutPlanView;
}

/** A rollout's strategy with counts resolved, as stored. */
export type RolloutStrategyView = RolloutStrategy;

export interface RolloutCountsView {
  total: number;
  pending: number;
  inProgress: number;
  succeeded: number;
  failed: number;
  rolledBack: number;
}

export interface RolloutView {
  id: string;
  component: string;
  targetVersion: string;
  kind: string;
  selector: string;
  state: RolloutState;
  reason: string | null;
  strategy: RolloutStrategyView;
  rollbackOf: string | null;
  conductor: string | null;
  lockToken: number;
  counts: RolloutCountsView;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

export interface RolloutNodeView {
  nodeId: string;
  batch: number;
  canary: boolean;
  fromVersion: string | null;
  /** pending, installing, succeeded, failed, rolled_back, reverting, reverted, revert_failed. */
  status: string;
  step: string | null;
  percent: number;
  error: string | null;
  startedAt: string | null;
  finishedAt: string | null;
}

/** `GET /v1/rollouts/:id`. */
export interface RolloutDetailView extends RolloutView {
  nodes: RolloutNodeView[];
}

/** A held lock as `GET /v1/locks` lists it. */
export type LockView = LockViewV1;

export interface LockAuditView {
  id: string;
  key: string;
  action: string;
  by: string;
  reason: string;
  removed: { holder: string | null; rolloutId: string | null; token: number | null } | null;
  at: string;
}

/** `GET /v1/locks`. */
export interface LocksView {
  items: LockView[];
  audit: LockAuditView[];
}

/** `POST /v1/locks/:key/release`. */
export interface LockReleaseResultView {
  key: string;
  released: boolean;
  removed: Record<string, unknown> | null;
}

/** A backup catalogue entry (`GET /v1/backups`). */
export type BackupView = BackupRecordV1;

/** One backup operation (`GET /v1/backup-operations/:id`); `result` is set once it succeeded (verify also when it found damage). */
export interface BackupOperationView {
  id: string;
  kind: BackupOperationKind;
  /** Null for prune. */
  backupId: string | null;
  state: BackupOperationState;
  step: string | null;
  percent: number;
  message: string | null;
  error: string | null;
  result: Record<string, unknown> | null;
  requestedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

/** What `POST /v1/backups…` answers (202). */
export interface BackupOperationQueuedView {
  operation: BackupOperationView;
}

/** `GET /v1/backups/:id`. */
export interface BackupDetailView {
  backup: BackupView;
  /** The latest operations that touched it, newest first. */
  operations: BackupOperationView[];
}

/** Result of a verify. */
export interface BackupVerifyResult {
  ok: boolean;
  corruptedPacks: string[];
  problems: string[];
  packsChecked: number;
}

/** Result of a restore: each part restored and where; the database restore, if any. */
export interface BackupRestoreResult {
  restored: Array<{ part: string; target: string; files: number }>;
  database?: { database: string; mode: string };
  /** Some backup service versions report every database restored. */
  databases?: Array<{ database: string; mode?: string }>;
}

/** Result of a prune: the retention plan and what it freed. */
export interface BackupPruneResult {
  dryRun: boolean;
  removedBackups: string[];
  removedPacks: number;
  keptPacks: number;
  freedBytes: number;
  plan: { keep: Array<{ id: string; reasons: string[] }>; remove: Array<{ id: string; reason: string }> };
}
