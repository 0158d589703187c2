import { RolloutCreateV1 } from '@lockstep/contracts';
import { matchesSelector, planRollout, resolveCount, RolloutPlanError, type PlannerNode } from './rollout-planner';

const LAST_HEARTBEAT = '2026-01-01T00:00:00.000Z';
const node = (id: string, version: string, labels: Record<string, string> = {}, lost = false): PlannerNode => ({
  record: {
    id,
    hostname: id,
    labels,
    components: { app: version },
    manages: ['app'],
    agentVersion: '1',
    seenAt: LAST_HEARTBEAT,
    state: 'idle',
  },
  lost,
});
const req = (over: Partial<RolloutCreateV1> = {}) =>
  RolloutCreateV1.parse({ component: 'app', version: '1.1.0', ...over });

describe(planRollout.name, () => {
  it('puts canaries first, preferring group=canary, then batches of maxParallel', () => {
    const nodes = [
      node('n1', '1.0.0'),
      node('n2', '1.0.0'),
      node('n3', '1.0.0', { group: 'canary' }),
      node('n4', '1.0.0'),
      node('n5', '1.0.0'),
    ];

    const sut = planRollout(req({ maxParallel: 2, canary: 1 }), nodes, 'cluster');

    expect(sut.batches.map((b) => [b.canary, b.nodes.map((n) => n.id)])).toEqual([
      [true, ['n3']],
      [false, ['n1', 'n2']],
      [false, ['n4', 'n5']],
    ]);
  });

  it('skips nodes already at the version and resolves percentages against the rest', () => {
    const nodes = [node('a', '1.1.0'), node('b', '1.0.0'), node('c', '1.0.0'), node('d', '1.0.0')];

    const sut = planRollout(req({ canary: '34%', maxFailures: '50%' }), nodes, 'cluster');

    expect(sut.alreadyAtVersion).toEqual(['a']);
    expect(sut.batches[0]).toMatchObject({ canary: true, nodes: [{ id: 'b', fromVersion: '1.0.0' }] });
    expect(sut.maxFailures).toBe(2);
  });

  it.each([
    ['every node', 'all'],
    ['the labels', 'zone=a'],
  ])('leaves lost nodes out of a rollout selecting %s and says why', (_what, selector) => {
    const nodes = [
      node('a', '1.0.0', { zone: 'a' }),
      node('b', '1.0.0', { zone: 'a' }, true),
      node('c', '1.0.0', { zone: 'a' }),
    ];

    const sut = planRollout(req({ selector, maxParallel: 5 }), nodes, 'cluster');

    expect(sut.batches.flatMap((b) => b.nodes.map((n) => n.id))).toEqual(['a', 'c']);
    expect(sut.skipped).toEqual([{ nodeId: 'b', reason: `lost since ${LAST_HEARTBEAT} (no heartbeat since then)` }]);
  });

  it('leaves lost nodes out of a rollback (which names the nodes it touched) and says why', () => {
    const nodes = [node('a', '1.1.0'), node('b', '1.1.0', {}, true), node('c', '1.1.0')];

    const sut = planRollout(req({ selector: 'a,b,c', version: '1.0.0', direction: 'downgrade' }), nodes, 'cluster', {
      rollbackOf: 'r-1',
    });

    expect(sut.batches.flatMap((b) => b.nodes.map((n) => n.id))).toEqual(['a', 'c']);
    expect(sut.skipped).toEqual([
      {
        nodeId: 'b',
        reason: `lost since ${LAST_HEARTBEAT} (no heartbeat since then); once it heart-beats again, lockstep rollback r-1 returns it too`,
      },
    ]);
  });

  it.each([
    [
      'every node it touched is lost',
      [node('a', '1.1.0', {}, true), node('b', '1.1.0', {}, true)],
      'NODES_LOST',
      /every node rollout r-1 updated is lost \(a, b\).*lockstep rollback r-1/,
    ],
    [
      'none of its nodes is left in the fleet',
      [node('z', '1.1.0')],
      'NO_NODES',
      /rollout r-1 updated a, b.*lockstep nodes/,
    ],
  ])('refuses a rollback when %s, saying what to run', (_what, nodes, code, message) => {
    const act = () =>
      planRollout(req({ selector: 'a,b', version: '1.0.0', direction: 'downgrade' }), nodes, 'cluster', {
        rollbackOf: 'r-1',
      });

    expect(act).toThrow(expect.objectContaining({ code, message: expect.stringMatching(message) }));
    expect(act).not.toThrow(/--nodes/);
  });

  it('skips nothing when every node heart-beats', () => {
    const sut = planRollout(req(), [node('a', '1.0.0')], 'cluster');

    expect(sut.skipped).toEqual([]);
  });

  it.each([
    [
      'a lost node the operator named',
      'a,b',
      [node('a', '1.0.0'), node('b', '1.0.0', {}, true)],
      'NODES_LOST',
      /node b stopped heart-beating .*lockstep nodes rm b/,
    ],
    [
      'a fleet whose every node is lost',
      'all',
      [node('a', '1.0.0', {}, true), node('b', '1.0.0', {}, true)],
      'NODES_LOST',
      /every selected node is lost \(a, b\)/,
    ],
    ['no matching node', 'group=db', [node('a', '1.0.0', { group: 'web' })], 'NO_NODES', /no node manages app/],
  ])('refuses %s', (_what, selector, nodes, code, message) => {
    const act = () => planRollout(req({ selector }), nodes, 'cluster');

    expect(act).toThrow(RolloutPlanError);
    expect(act).toThrow(expect.objectContaining({ code, message: expect.stringMatching(message) }));
  });

  it.each([
    ['all', true],
    ['group=canary', true],
    ['group=canary,zone=a', false],
    ['n1,n9', true],
    ['n9', false],
  ])('selector %s -> %s', (selector, expected) => {
    expect(matchesSelector(node('n1', '1', { group: 'canary' }).record, selector)).toBe(expected);
  });

  it.each([
    [2, 10, 2],
    ['20%', 5, 1],
    ['50%', 5, 3],
    ['0%', 5, 0],
  ] as const)('resolveCount(%s, %s) = %s', (v, total, expected) => {
    expect(resolveCount(v, total)).toBe(expected);
  });
});
