import type {
  InstallCommandV1,
  InstallResult,
  RolloutActionV1,
  RolloutNodeStatus,
  RolloutState,
} from '@lockstep/contracts';

/**
 * The rollout state machine, in one place: which states a rollout and each of its nodes can be
 * in, which moves between them are allowed and who makes them. The repository's SQL moves a row
 * only from a state this table allows (`WHERE state = ANY(<from states>)`), so a late write can
 * never undo another actor's move (the conductor cannot overwrite an operator's abort).
 */

/** Who moves a rollout: the conductor holding the cluster lock, or an operator (API, CLI, Discord). */
export type RolloutActor = 'conductor' | 'operator';

/** A rollout is created planned; the conductor starts it. */
export const INITIAL_ROLLOUT_STATE = 'planned' satisfies RolloutState;

/** Every allowed move of a rollout: from → to → who makes it. */
export const ROLLOUT_TRANSITIONS = {
  planned: { running: 'conductor', paused: 'operator', aborted: 'operator' },
  running: { paused: 'operator', aborted: 'operator', succeeded: 'conductor', failed: 'conductor' },
  // A batch already sent goes on while paused; when it fails past the budget the rollout fails.
  paused: { running: 'operator', aborted: 'operator', failed: 'conductor' },
  // With auto-rollback, the conductor returns the updated nodes, then the rollout is rolled back.
  failed: { rolled_back: 'conductor' },
  succeeded: {},
  aborted: {},
  rolled_back: {},
} as const satisfies Record<RolloutState, Partial<Record<RolloutState, RolloutActor>>>;

type Transitions = typeof ROLLOUT_TRANSITIONS;
/** States `actor` moves rollouts into. */
type TargetsOf<A extends RolloutActor> = {
  [F in keyof Transitions]: {
    [T in keyof Transitions[F]]: Transitions[F][T] extends A ? T : never;
  }[keyof Transitions[F]];
}[keyof Transitions];

/** States the conductor moves a rollout into. */
export type ConductorTarget = TargetsOf<'conductor'>;

/** Operators' actions and the state each moves a rollout into. */
export const ROLLOUT_ACTIONS = {
  pause: 'paused',
  resume: 'running',
  abort: 'aborted',
} as const satisfies Record<RolloutActionV1['action'], TargetsOf<'operator'>>;
export type RolloutAction = keyof typeof ROLLOUT_ACTIONS;

/** States in which a rollout still needs a conductor. */
export const ACTIVE_ROLLOUT_STATES = ['planned', 'running', 'paused'] as const satisfies readonly RolloutState[];

/** States that finish a rollout (entering one sets finished_at); only `failed` moves on, to rolled_back. */
export const FINISHED_ROLLOUT_STATES = [
  'succeeded',
  'failed',
  'aborted',
  'rolled_back',
] as const satisfies readonly RolloutState[];

/** The states from which `actor` may move a rollout to `to`. */
export function rolloutFromStates(to: RolloutState, actor: RolloutActor): RolloutState[] {
  return (Object.keys(ROLLOUT_TRANSITIONS) as RolloutState[]).filter(
    (from) => (ROLLOUT_TRANSITIONS[from] as Partial<Record<RolloutState, RolloutActor>>)[to] === actor,
  );
}

/** True when `actor` may move a rollout from `from` to `to`. */
export function canMoveRollout(from: RolloutState, to: RolloutState, actor: RolloutActor): boolean {
  return rolloutFromStates(to, actor).includes(from);
}

/** The kind of command a node is sent. */
export type NodeCommandAction = InstallCommandV1['action'];

/**
 * What each node status means. `settled`: the node has an outcome and no command in flight (a
 * batch is done when all its nodes are settled). `failure`: a failed install, counted against
 * the rollout's failure budget. `counts`: which rollout.changed node count it adds to.
 */
export const NODE_STATUSES = {
  pending: { settled: false, failure: false, counts: null },
  installing: { settled: false, failure: false, counts: null },
  succeeded: { settled: true, failure: false, counts: 'succeeded' },
  failed: { settled: true, failure: true, counts: 'failed' },
  rolled_back: { settled: true, failure: true, counts: 'rolledBack' },
  reverting: { settled: false, failure: false, counts: null },
  reverted: { settled: true, failure: false, counts: 'rolledBack' },
  revert_failed: { settled: true, failure: false, counts: 'failed' },
  // no outcome within the progress deadline: unknown whether it installed
  timed_out: { settled: true, failure: true, counts: 'failed' },
  // a revert without an outcome within the progress deadline: unknown whether the node is back
  revert_timed_out: { settled: true, failure: false, counts: 'failed' },
} as const satisfies Record<
  RolloutNodeStatus,
  { settled: boolean; failure: boolean; counts: 'succeeded' | 'failed' | 'rolledBack' | null }
>;

/** A node of a new rollout waits for its command. */
export const INITIAL_NODE_STATUS = 'pending' satisfies RolloutNodeStatus;

/** Every allowed move of a node: from → the statuses it may go to (a command resent keeps its status). */
export const NODE_TRANSITIONS = {
  pending: ['installing'],
  installing: ['installing', 'succeeded', 'failed', 'rolled_back', 'timed_out'],
  succeeded: ['reverting'],
  reverting: ['reverting', 'reverted', 'revert_failed', 'revert_timed_out'],
  failed: [],
  rolled_back: [],
  reverted: [],
  revert_failed: [],
  // a late outcome is recorded; it may have installed after all, so the revert includes it
  timed_out: ['succeeded', 'failed', 'rolled_back', 'reverting'],
  // a revert has no deadline, so it may still land: its late outcome says whether the node is back
  // (reverted) or still runs the release (succeeded, and the scheduler reverts it again)
  revert_timed_out: ['reverted', 'succeeded'],
} as const satisfies Record<RolloutNodeStatus, readonly RolloutNodeStatus[]>;

/** The status of a node while a command of each kind runs on it. */
export const NODE_STATUS_WHILE = {
  install: 'installing',
  rollback: 'reverting',
} as const satisfies Record<NodeCommandAction, RolloutNodeStatus>;

/** An agent's outcome of a command, as the node's status. */
export const NODE_STATUS_AFTER = {
  install: { succeeded: 'succeeded', failed: 'failed', rolled_back: 'rolled_back', rejected: 'failed' },
  rollback: { succeeded: 'reverted', failed: 'revert_failed', rolled_back: 'revert_failed', rejected: 'revert_failed' },
} as const satisfies Record<NodeCommandAction, Record<InstallResult, RolloutNodeStatus>>;

/** A node whose command brought no outcome within the progress deadline. */
export const NODE_STATUS_ON_TIMEOUT = {
  install: 'timed_out',
  rollback: 'revert_timed_out',
} as const satisfies Record<NodeCommandAction, RolloutNodeStatus>;

/**
 * The late outcome of a revert that timed out (the node was down or cut off): the node is back on
 * its previous version when the revert succeeded or it runs that version anyway (a late revert
 * is refused once the rollout has ended: nobody holds the lock for it); otherwise it still runs
 * the release, and counts as succeeded, so the scheduler sends it a revert again.
 */
export function statusAfterLateRevert(
  result: InstallResult,
  runningVersion: string | null,
  fromVersion: string | null,
): 'reverted' | 'succeeded' {
  return result === 'succeeded' || (runningVersion !== null && runningVersion === fromVersion)
    ? 'reverted'
    : 'succeeded';
}

/**
 * Statuses of a rolled-back rollout's nodes that still need a revert: a late outcome showed the
 * node on the release the rollout abandoned (or the conductor of that revert died while it ran).
 * Such a rollout gets a conductor again (with auto-rollback).
 */
export const NODE_STATUSES_TO_REVERT_LATE = [
  'succeeded',
  'timed_out',
  'reverting',
] as const satisfies readonly RolloutNodeStatus[];

const NODE_STATUS_LIST = Object.keys(NODE_STATUSES) as RolloutNodeStatus[];

/** Statuses of nodes with an outcome and no command in flight. */
export const SETTLED_NODE_STATUSES = NODE_STATUS_LIST.filter((s) => NODE_STATUSES[s].settled);
/** Statuses of failed installs (counted against the failure budget). */
export const FAILED_NODE_STATUSES = NODE_STATUS_LIST.filter((s) => NODE_STATUSES[s].failure);

/** The statuses from which a node may move to `to`. */
export function nodeFromStatuses(to: RolloutNodeStatus): RolloutNodeStatus[] {
  return NODE_STATUS_LIST.filter((from) => (NODE_TRANSITIONS[from] as readonly RolloutNodeStatus[]).includes(to));
}

/** True when a node may move from `from` to `to`. */
export function canMoveNode(from: RolloutNodeStatus, to: RolloutNodeStatus): boolean {
  return nodeFromStatuses(to).includes(from);
}

/** Every allowed node move as two parallel arrays (from[i] → to[i]), for SQL `unnest`. */
export function nodeTransitionPairs(): { from: RolloutNodeStatus[]; to: RolloutNodeStatus[] } {
  const pairs = NODE_STATUS_LIST.flatMap((from) =>
    (NODE_TRANSITIONS[from] as readonly RolloutNodeStatus[]).map((to) => [from, to] as const),
  );
  return { from: pairs.map(([f]) => f), to: pairs.map(([, t]) => t) };
}
