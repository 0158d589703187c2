import { jsonResponse, problemResponse, recordingCli } from '../testing/fake-api';
import { rolloutPlan, rolloutSnapshot } from '../testing/rollout-fixtures';
import { formatPlan } from './rollout-plan';
import { formatRollout } from './rollouts.command';

const LOST_SINCE = 'lost since 2026-01-01T00:00:00.000Z (no heartbeat since then)';

/** `lockstep nodes rm`, and how rollouts show the nodes they left out. */
describe('lockstep nodes rm', () => {
  const { lockstep, seen, reset } = recordingCli(Date.parse('2026-01-01T01:00:00Z'));
  const removed = { nodeId: 'node-2', lastSeenAt: '2026-01-01T00:00:00.000Z', wasLost: true, consumerDeleted: true };

  beforeEach(() => {
    reset();
    seen.answer = () => jsonResponse(200, removed);
  });

  it('removes a lost node and says what happened, and that a heartbeat brings it back', async () => {
    const code = await lockstep(['nodes', 'rm', 'node-2']);

    expect(code).toBe(0);
    expect(seen.sent).toEqual([{ method: 'DELETE', url: 'http://api.test/v1/nodes/node-2', body: undefined }]);
    expect(seen.out).toBe(
      'removed node node-2 (lost; last heartbeat 2026-01-01T00:00:00.000Z) and its command consumer; rollouts no longer count it. If its agent heart-beats again it reappears\n',
    );
  });

  it('--force --json removes a node that still heart-beats and prints the answer as JSON', async () => {
    seen.answer = () => jsonResponse(200, { ...removed, wasLost: false });

    const code = await lockstep(['nodes', 'rm', 'node-2', '--force', '--json']);

    expect(code).toBe(0);
    expect(seen.sent.map((r) => `${r.method} ${r.url}`)).toEqual(['DELETE http://api.test/v1/nodes/node-2?force=true']);
    expect(JSON.parse(seen.out)).toEqual({ ...removed, wasLost: false });
  });

  it("prints the scheduler's refusal and exits 1", async () => {
    seen.answer = () =>
      problemResponse(409, 'NODE_ALIVE', 'node node-2 still heart-beats; … or remove it anyway with --force');

    const code = await lockstep(['nodes', 'rm', 'node-2']);

    expect(code).toBe(1);
    expect(seen.err).toMatch(/node node-2 still heart-beats; … or remove it anyway with --force/);
  });

  it('refuses a malformed node id without asking the API', async () => {
    const code = await lockstep(['nodes', 'rm', 'Node 2']);

    expect(code).toBe(2);
    expect(seen.err).toMatch(/"Node 2" is not a node id/);
    expect(seen.sent).toEqual([]);
  });

  it('still lists the nodes as `lockstep nodes`', async () => {
    seen.answer = () => jsonResponse(200, { items: [] });

    const code = await lockstep(['nodes']);

    expect(code).toBe(0);
    expect(seen.sent.map((r) => `${r.method} ${r.url}`)).toEqual(['GET http://api.test/v1/nodes']);
  });
});

describe('nodes a rollout left out', () => {
  it('are listed with why in the plan', () => {
    const sut = formatPlan(rolloutPlan({ skipped: [{ nodeId: 'node-9', reason: LOST_SINCE }] }));

    expect(sut).toMatch(/left out: +node-9 \(lost since 2026-01-01T00:00:00\.000Z \(no heartbeat since then\)\)\n/);
  });

  it('are listed with why by rollouts show', () => {
    const sut = formatRollout(rolloutSnapshot({ skipped: [{ nodeId: 'node-9', reason: LOST_SINCE }] }));

    expect(sut).toMatch(/left out: +node-9 \(lost since 2026-01-01T00:00:00\.000Z/);
  });

  it('are not mentioned when there are none', () => {
    expect(formatPlan(rolloutPlan())).not.toMatch(/left out/);
  });
});
