import { ROLLOUT_ID, rolloutNode, rolloutSnapshot } from '../testing/rollout-fixtures';
import { barLine, JsonProgress, LineProgress, nodeActivity, renderBar, TtyProgress } from './rollout-progress';

describe(renderBar.name, () => {
  it.each([
    [0, '[--------------]'],
    [62, '[#########-----]'],
    [100, '[##############]'],
    [150, '[##############]'],
    [-5, '[--------------]'],
  ])('%i%% -> %s', (percent, bar) => {
    expect(renderBar(percent)).toBe(bar);
  });
});

describe(barLine.name, () => {
  const row = (n: ReturnType<typeof rolloutNode>) => ({ id: n.nodeId, percent: n.percent, activity: nodeActivity(n) });

  it('pads the id, aligns the percentage and names the step', () => {
    expect(barLine(row(rolloutNode('node-1', { status: 'installing', step: 'health_check', percent: 62 })), 7)).toBe(
      'node-1   [#########-----]  62%  health_check',
    );
    expect(barLine(row(rolloutNode('node-10', { status: 'succeeded', percent: 100 })), 7)).toBe(
      'node-10  [##############] 100%  succeeded',
    );
  });
});

describe(nodeActivity.name, () => {
  it.each([
    [rolloutNode('n'), 'waiting'],
    [rolloutNode('n', { status: 'installing' }), 'command sent'],
    [rolloutNode('n', { status: 'reverting', step: 'swapping' }), 'reverting: swapping'],
    [
      rolloutNode('n', { status: 'rolled_back', error: 'health_check: /healthz answered 500' }),
      'rolled_back: health_check: /healthz answered 500',
    ],
  ])('%#: %s', (node, activity) => {
    expect(nodeActivity(node)).toBe(activity);
  });
});

describe(TtyProgress.name, () => {
  it('draws a header and a bar per node, then redraws in place with the cursor moved up over the last frame', () => {
    const out: string[] = [];
    const sut = new TtyProgress((t) => out.push(t));

    sut.update(rolloutSnapshot());
    sut.update(rolloutSnapshot());
    sut.update(
      rolloutSnapshot({
        nodes: [
          rolloutNode('node-1', { batch: 0, canary: true, status: 'installing', step: 'downloading', percent: 30 }),
          rolloutNode('node-2'),
        ],
      }),
    );

    expect(out).toHaveLength(2);
    expect(out[0]).toBe(
      `rollout 0b9f3c1e  upgrade demo → 1.1.0  running  0/2 nodes done\nnode-1  [--------------]   0%  waiting\nnode-2  [--------------]   0%  waiting\n`,
    );
    expect(out[1].startsWith('\x1b[3A\r\x1b[0J')).toBe(true);
    expect(out[1]).toContain('node-1  [####----------]  30%  downloading\n');
  });

  it('cuts lines to the terminal width so they never wrap', () => {
    const out: string[] = [];
    const sut = new TtyProgress((t) => out.push(t), 40);

    sut.update(
      rolloutSnapshot({ nodes: [rolloutNode('node-1', { status: 'failed', percent: 100, error: 'x'.repeat(200) })] }),
    );

    for (const line of out[0].split('\n')) expect(line.length).toBeLessThanOrEqual(39);
  });
});

describe(LineProgress.name, () => {
  it("prints one line per change: the rollout's state, and each node whose progress moved", () => {
    const out: string[] = [];
    const sut = new LineProgress((t) => out.push(t));

    sut.update(rolloutSnapshot());
    sut.update(
      rolloutSnapshot({
        nodes: [
          rolloutNode('node-1', { batch: 0, canary: true, status: 'installing', step: 'health_check', percent: 62 }),
          rolloutNode('node-2'),
        ],
      }),
    );
    sut.update(
      rolloutSnapshot({
        state: 'paused',
        reason: 'pause by operator',
        nodes: [
          rolloutNode('node-1', { batch: 0, canary: true, status: 'installing', step: 'health_check', percent: 62 }),
          rolloutNode('node-2'),
        ],
      }),
    );

    expect(out.join('').split('\n')).toEqual([
      `rollout ${ROLLOUT_ID} running`,
      'node-1  [--------------]   0%  waiting',
      'node-2  [--------------]   0%  waiting',
      'node-1  [#########-----]  62%  health_check',
      `rollout ${ROLLOUT_ID} paused: pause by operator`,
      '',
    ]);
    expect(out.join('')).not.toContain('\x1b');
  });
});

describe(JsonProgress.name, () => {
  it('writes each changed snapshot as one JSON line', () => {
    const out: string[] = [];
    const sut = new JsonProgress((t) => out.push(t));

    sut.update(rolloutSnapshot());
    sut.update(rolloutSnapshot());
    sut.update(rolloutSnapshot({ state: 'succeeded' }));

    expect(out).toHaveLength(2);
    expect(out.map((l) => [l.endsWith('\n') && !l.slice(0, -1).includes('\n'), JSON.parse(l).state])).toEqual([
      [true, 'running'],
      [true, 'succeeded'],
    ]);
  });
});
