import {
  InstallResults,
  RolloutActionV1,
  RolloutNodeStatuses,
  RolloutStates,
  type RolloutNodeStatus,
  type RolloutState,
} from '@lockstep/contracts';
import {
  ACTIVE_ROLLOUT_STATES,
  FAILED_NODE_STATUSES,
  FINISHED_ROLLOUT_STATES,
  INITIAL_NODE_STATUS,
  INITIAL_ROLLOUT_STATE,
  NODE_STATUSES,
  NODE_STATUS_AFTER,
  NODE_STATUS_ON_TIMEOUT,
  NODE_STATUS_WHILE,
  NODE_TRANSITIONS,
  ROLLOUT_ACTIONS,
  ROLLOUT_TRANSITIONS,
  SETTLED_NODE_STATUSES,
  canMoveNode,
  canMoveRollout,
  nodeFromStatuses,
  nodeTransitionPairs,
  statusAfterLateRevert,
  rolloutFromStates,
  type RolloutActor,
} from './rollout-state-machine';

/** Every allowed rollout move, spelled out: anything not listed is refused. */
const ALLOWED_MOVES: Array<[RolloutState, RolloutState, RolloutActor]> = [
  ['planned', 'running', 'conductor'],
  ['planned', 'paused', 'operator'],
  ['planned', 'aborted', 'operator'],
  ['running', 'paused', 'operator'],
  ['running', 'aborted', 'operator'],
  ['running', 'succeeded', 'conductor'],
  ['running', 'failed', 'conductor'],
  ['paused', 'running', 'operator'],
  ['paused', 'aborted', 'operator'],
  ['paused', 'failed', 'conductor'],
  ['failed', 'rolled_back', 'conductor'],
];
const actorOf = (from: RolloutState, to: RolloutState): RolloutActor | 'refused' =>
  ALLOWED_MOVES.find(([f, t]) => f === from && t === to)?.[2] ?? 'refused';
const ALL_PAIRS = RolloutStates.flatMap((from) => RolloutStates.map((to) => [from, to, actorOf(from, to)] as const));

/** Every state reachable from `start` by allowed moves. */
function reachable(start: RolloutState): Set<RolloutState> {
  const seen = new Set<RolloutState>([start]);
  for (const s of seen) for (const to of Object.keys(ROLLOUT_TRANSITIONS[s]) as RolloutState[]) seen.add(to);
  return seen;
}

describe('rollout state machine', () => {
  describe('rollouts', () => {
    it.each(ALL_PAIRS)('%s → %s: %s', (from, to, expected) => {
      const conductor = canMoveRollout(from, to, 'conductor');
      const operator = canMoveRollout(from, to, 'operator');

      expect(conductor ? 'conductor' : operator ? 'operator' : 'refused').toBe(expected);
      expect(conductor && operator).toBe(false);
    });

    it('has a row for every state on the wire', () => {
      expect(Object.keys(ROLLOUT_TRANSITIONS).sort()).toEqual([...RolloutStates].sort());
    });

    it.each([
      ['pause', ['planned', 'running'], 'paused'],
      ['resume', ['paused'], 'running'],
      ['abort', ['planned', 'running', 'paused'], 'aborted'],
    ] as const)('an operator may %s a rollout that is %j, making it %s', (action, from, to) => {
      const target = ROLLOUT_ACTIONS[action];

      expect(target).toBe(to);
      expect(rolloutFromStates(target, 'operator')).toEqual(from);
    });

    it('has an entry for every action the API accepts', () => {
      expect(Object.keys(ROLLOUT_ACTIONS).sort()).toEqual([...RolloutActionV1.shape.action.options].sort());
    });

    it.each([
      ['running', ['planned']],
      ['succeeded', ['running']],
      ['failed', ['running', 'paused']],
      ['rolled_back', ['failed']],
    ] as const)('the conductor moves a rollout to %s only from %j', (to, from) => {
      expect(rolloutFromStates(to, 'conductor')).toEqual(from);
    });

    it('splits the states into active (needing a conductor) and finished, starting from planned', () => {
      const all = [...ACTIVE_ROLLOUT_STATES, ...FINISHED_ROLLOUT_STATES];

      expect(all.sort()).toEqual([...RolloutStates].sort());
      expect(new Set(all).size).toBe(all.length);
      expect(ACTIVE_ROLLOUT_STATES).toContain(INITIAL_ROLLOUT_STATE);
    });

    it.each(RolloutStates.map((s) => [s]))('%s is reachable from planned and can reach a finished state', (state) => {
      const onward = [...reachable(state)];

      expect(reachable(INITIAL_ROLLOUT_STATE).has(state)).toBe(true);
      expect(onward.some((s) => (FINISHED_ROLLOUT_STATES as readonly string[]).includes(s))).toBe(true);
    });

    it('lets nothing leave a finished state except a failed rollout rolling back', () => {
      const leaving = FINISHED_ROLLOUT_STATES.flatMap((from) =>
        Object.keys(ROLLOUT_TRANSITIONS[from]).map((to) => `${from} → ${to}`),
      );

      expect(leaving).toEqual(['failed → rolled_back']);
    });
  });

  describe('nodes', () => {
    it.each([
      ['pending', false, false, null],
      ['installing', false, false, null],
      ['succeeded', true, false, 'succeeded'],
      ['failed', true, true, 'failed'],
      ['rolled_back', true, true, 'rolledBack'],
      ['reverting', false, false, null],
      ['reverted', true, false, 'rolledBack'],
      ['revert_failed', true, false, 'failed'],
      ['timed_out', true, true, 'failed'],
      ['revert_timed_out', true, false, 'failed'],
    ] as const)('%s: settled %s, a failure %s, counted as %s', (status, settled, failure, counts) => {
      expect(NODE_STATUSES[status]).toEqual({ settled, failure, counts });
    });

    it('has a row for every status on the wire, and derives the settled and failed lists from it', () => {
      expect(Object.keys(NODE_STATUSES).sort()).toEqual([...RolloutNodeStatuses].sort());
      expect(Object.keys(NODE_TRANSITIONS).sort()).toEqual([...RolloutNodeStatuses].sort());
      expect(SETTLED_NODE_STATUSES).toEqual([
        'succeeded',
        'failed',
        'rolled_back',
        'reverted',
        'revert_failed',
        'timed_out',
        'revert_timed_out',
      ]);
      expect(FAILED_NODE_STATUSES).toEqual(['failed', 'rolled_back', 'timed_out']);
    });

    it.each([
      ['installing', ['pending', 'installing']],
      // a node that timed out may have installed after all: it is reverted too, and its late outcome recorded
      ['reverting', ['succeeded', 'reverting', 'timed_out']],
      // a late revert outcome that shows the node still on the release: it is reverted again
      ['succeeded', ['installing', 'timed_out', 'revert_timed_out']],
      ['failed', ['installing', 'timed_out']],
      ['rolled_back', ['installing', 'timed_out']],
      ['timed_out', ['installing']],
      // a revert that timed out may land late: the node is back after all
      ['reverted', ['reverting', 'revert_timed_out']],
      ['revert_failed', ['reverting']],
      ['revert_timed_out', ['reverting']],
      ['pending', []],
    ] as const)('a node enters %s only from %j', (to, from) => {
      expect(nodeFromStatuses(to)).toEqual(from);
    });

    it.each([
      ['install', 'succeeded', 'succeeded'],
      ['install', 'failed', 'failed'],
      ['install', 'rolled_back', 'rolled_back'],
      ['install', 'rejected', 'failed'],
      ['rollback', 'succeeded', 'reverted'],
      ['rollback', 'failed', 'revert_failed'],
      ['rollback', 'rolled_back', 'revert_failed'],
      ['rollback', 'rejected', 'revert_failed'],
    ] as const)('a command to %s that ends %s leaves the node %s', (action, result, status) => {
      expect(NODE_STATUS_AFTER[action][result]).toBe(status);
    });

    it.each([
      ['install', 'installing', 'timed_out'],
      ['rollback', 'reverting', 'revert_timed_out'],
    ] as const)('a node running a command to %s is %s; past the progress deadline it is %s', (action, during, late) => {
      expect(NODE_STATUS_WHILE[action]).toBe(during);
      expect(NODE_STATUS_ON_TIMEOUT[action]).toBe(late);
    });

    it('only ever moves a node along an allowed edge, whatever the outcome or a timeout', () => {
      const moves = (Object.keys(NODE_STATUS_WHILE) as Array<keyof typeof NODE_STATUS_WHILE>).flatMap((action) => [
        ...InstallResults.map((result) => [NODE_STATUS_WHILE[action], NODE_STATUS_AFTER[action][result]] as const),
        [NODE_STATUS_WHILE[action], NODE_STATUS_ON_TIMEOUT[action]] as const,
      ]);

      for (const [from, to] of moves) expect(`${from} → ${to}: ${canMoveNode(from, to)}`).toBe(`${from} → ${to}: true`);
      expect(canMoveNode(INITIAL_NODE_STATUS, NODE_STATUS_WHILE.install)).toBe(true);
    });

    it.each([
      ['succeeded', '1.1.0', 'reverted'],
      // refused once the rollout ended (nobody holds the lock for it): judged by what the node runs
      ['rejected', '1.0.0', 'reverted'],
      ['rejected', '1.1.0', 'succeeded'],
      ['failed', '1.1.0', 'succeeded'],
      ['rejected', null, 'succeeded'],
    ] as const)(
      'a revert that timed out, whose late outcome is %s with the node on %s (it ran 1.0.0), leaves the node %s',
      (result, running, status) => {
        expect(statusAfterLateRevert(result, running, '1.0.0')).toBe(status);
      },
    );

    it('gives SQL every allowed edge once, as parallel arrays', () => {
      const { from, to } = nodeTransitionPairs();
      const edges = from.map((f, i) => `${f}→${to[i]}`);

      expect(edges).toEqual(
        (Object.keys(NODE_TRANSITIONS) as RolloutNodeStatus[]).flatMap((f) =>
          NODE_TRANSITIONS[f].map((t: RolloutNodeStatus) => `${f}→${t}`),
        ),
      );
      expect(new Set(edges).size).toBe(edges.length);
      expect(edges).toHaveLength(17);
    });
  });
});
