import { ApiRequestError, ApiUnreachableError } from '../api-client';
import type { RolloutDetail, RolloutNodeStatus } from '@lockstep/contracts';
import { ExitCode } from '../errors';
import { ROLLOUT_ID, rolloutNode, rolloutSnapshot } from '../testing/rollout-fixtures';
import { API_OUTAGE_LIMIT_MS, followRollout, SETTLE_GRACE_MS, verdict } from './rollout-follow';
import type { ProgressRenderer } from './rollout-progress';

/** A fake API answering GET /v1/rollouts/:id with the next snapshot (or error) of a script; the last one repeats. */
function scriptedApi(script: Array<RolloutDetail | Error>) {
  const paths: string[] = [];
  let i = 0;
  return {
    paths,
    get: async <T>(path: string): Promise<T> => {
      paths.push(path);
      const step = script[Math.min(i++, script.length - 1)];
      if (step instanceof Error) throw step;
      return step as T;
    },
  };
}

describe(followRollout.name, () => {
  let clock: number;
  let shown: RolloutDetail[];
  let warnings: string[];
  const renderer: ProgressRenderer = { update: (r) => void shown.push(r) };
  const follow = (script: Array<RolloutDetail | Error>) => {
    const api = scriptedApi(script);
    const result = followRollout(ROLLOUT_ID, {
      api,
      renderer,
      sleep: async (ms) => void (clock += ms),
      now: () => clock,
      warn: (m) => void warnings.push(m),
    });
    return { api, result };
  };

  beforeEach(() => {
    clock = Date.parse('2026-01-01T00:00:10Z');
    shown = [];
    warnings = [];
  });

  const running = rolloutSnapshot({
    nodes: [rolloutNode('node-1', { status: 'installing', step: 'downloading', percent: 20 })],
  });
  const installed = rolloutSnapshot({
    nodes: [rolloutNode('node-1', { status: 'installing', step: 'health_check', percent: 80 })],
  });

  it('polls every 500 ms, shows each change once, and exits 0 when the rollout succeeds', async () => {
    const done = rolloutSnapshot({
      state: 'succeeded',
      reason: 'all 1 nodes at 1.1.0',
      nodes: [rolloutNode('node-1', { status: 'succeeded', percent: 100 })],
    });
    const { api, result } = follow([running, running, installed, done]);

    const sut = await result;

    expect(sut).toMatchObject({
      exitCode: ExitCode.Ok,
      message: `rollout ${ROLLOUT_ID} succeeded: all 1 nodes at 1.1.0`,
    });
    expect(api.paths).toEqual(Array(4).fill(`/v1/rollouts/${ROLLOUT_ID}`));
    expect(shown.map((s) => [s.state, s.nodes[0].percent])).toEqual([
      ['running', 20],
      ['running', 80],
      ['succeeded', 100],
    ]);
    expect(clock - Date.parse('2026-01-01T00:00:10Z')).toBe(1500);
  });

  it.each([
    ['aborted', { state: 'aborted', reason: 'abort by operator' }, `rollout ${ROLLOUT_ID} aborted: abort by operator`],
    [
      'failed without auto-rollback',
      {
        state: 'failed',
        reason: '1 node(s) failed (allowed 0): node-1 (health_check: timed out)',
        strategy: { ...running.strategy, autoRollback: false },
      },
      `rollout ${ROLLOUT_ID} failed: 1 node(s) failed (allowed 0): node-1 (health_check: timed out)`,
    ],
    [
      'rolled back',
      { state: 'rolled_back', reason: 'node-1 failed; 1 updated node(s) returned' },
      `rollout ${ROLLOUT_ID} rolled_back: node-1 failed; 1 updated node(s) returned`,
    ],
  ] as const)('exits 1 with the reason when it ends %s', async (_name, over, message) => {
    const { result } = follow([
      running,
      rolloutSnapshot({
        ...over,
        nodes: [rolloutNode('node-1', { status: 'failed', percent: 100 })],
      }),
    ]);

    expect(await result).toMatchObject({ exitCode: ExitCode.Failure, message });
  });

  it('keeps following a failed rollout while its auto-rollback reverts nodes, and ends with rolled_back', async () => {
    const failed = (status: RolloutNodeStatus) =>
      rolloutSnapshot({
        state: 'failed',
        reason: 'node-2 failed',
        nodes: [
          rolloutNode('node-1', { status, percent: status === 'succeeded' ? 100 : 40 }),
          rolloutNode('node-2', { status: 'rolled_back', percent: 100 }),
        ],
      });
    const rolledBack = rolloutSnapshot({
      state: 'rolled_back',
      reason: 'node-2 failed; 1 updated node(s) returned to their previous version',
      nodes: [
        rolloutNode('node-1', { status: 'reverted', percent: 100 }),
        rolloutNode('node-2', { status: 'rolled_back', percent: 100 }),
      ],
    });
    const { result } = follow([failed('succeeded'), failed('reverting'), failed('reverting'), rolledBack]);

    const sut = await result;

    expect(sut.final.state).toBe('rolled_back');
    expect(sut).toMatchObject({
      exitCode: ExitCode.Failure,
      message: expect.stringMatching(/rolled_back: node-2 failed; 1 updated node\(s\) returned/),
    });
    expect(shown.map((s) => s.state)).toEqual(['failed', 'failed', 'rolled_back']);
  });

  it('gives up on a failed rollout with nothing left to revert after a short grace', async () => {
    const failed = rolloutSnapshot({
      state: 'failed',
      reason: 'node-1 failed',
      updatedAt: '2026-01-01T00:00:10Z',
      nodes: [rolloutNode('node-1', { status: 'rolled_back', percent: 100 })],
    });
    const { result } = follow([failed]);

    const sut = await result;

    expect(sut).toMatchObject({ exitCode: ExitCode.Failure, message: `rollout ${ROLLOUT_ID} failed: node-1 failed` });
    expect(clock - Date.parse('2026-01-01T00:00:10Z')).toBeGreaterThan(SETTLE_GRACE_MS);
    expect(clock - Date.parse('2026-01-01T00:00:10Z')).toBeLessThan(SETTLE_GRACE_MS + 1000);
  });

  it('waits out a short API outage with one warning', async () => {
    const done = rolloutSnapshot({
      state: 'succeeded',
      nodes: [rolloutNode('node-1', { status: 'succeeded', percent: 100 })],
    });
    const down = new ApiUnreachableError('cannot reach the Lockstep API at http://api.test (ECONNREFUSED)');
    const { result } = follow([running, down, new ApiRequestError(502, 'SERVICE_UNAVAILABLE', 'bad gateway'), done]);

    expect((await result).exitCode).toBe(ExitCode.Ok);
    expect(warnings).toEqual([
      expect.stringMatching(/^cannot reach the Lockstep API .*; still following rollout .* \(giving up after 30 s\)$/),
    ]);
  });

  it('fails when the API stays unreachable past the limit', async () => {
    const down = new ApiUnreachableError('cannot reach the Lockstep API');
    const { result } = follow([running, down]);

    await expect(result).rejects.toBe(down);
    expect(clock - Date.parse('2026-01-01T00:00:10Z')).toBeGreaterThan(API_OUTAGE_LIMIT_MS);
  });

  it('fails at once on an answer that waiting will not change (404)', async () => {
    const missing = new ApiRequestError(404, 'NOT_FOUND', `rollout ${ROLLOUT_ID} does not exist`);
    const { result } = follow([missing]);

    await expect(result).rejects.toBe(missing);
  });
});

describe(verdict.name, () => {
  it.each(['planned', 'running', 'paused'] as const)('keeps following a %s rollout', (state) => {
    expect(verdict(rolloutSnapshot({ state }), 10 * 60_000)).toBeUndefined();
  });

  it('keeps following a failed rollout whose reverts are pending until nothing moved for a progress deadline', () => {
    const r = rolloutSnapshot({
      state: 'failed',
      nodes: [rolloutNode('node-1', { status: 'succeeded', percent: 100 })],
    });

    expect(verdict(r, r.strategy.progressDeadlineMs)).toBeUndefined();
    expect(verdict(r, r.strategy.progressDeadlineMs + SETTLE_GRACE_MS + 1)).toMatchObject({
      exitCode: ExitCode.Failure,
      message: expect.stringMatching(/auto-rollback made no progress for 603 s/),
    });
  });
});
