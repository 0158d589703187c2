import { fakeApiCli, jsonResponse, type SentRequest } from './testing/fake-api';
import { ROLLOUT_ID, rolloutNode, rolloutPlan, rolloutSnapshot } from './testing/rollout-fixtures';

type Sent = SentRequest;

/** `lockstep nodes|upgrade|downgrade|rollouts|rollback|locks` through `run`, against a fake API. */
describe('fleet commands', () => {
  let sent: Sent[];
  let answer: (req: Sent) => Response;
  let out: string;
  let err: string;
  let clock: number;

  const json = jsonResponse;
  const lockstep = fakeApiCli(
    { LOCKSTEP_API_URL: 'http://api.test', USER: 'alice' },
    {
      onRequest: (req) => (sent.push(req), answer(req)),
      stdout: (t) => void (out += t),
      stderr: (t) => void (err += t),
      sleep: (ms) => void (clock += ms),
      now: () => clock,
    },
  );
  /** Answers GET /v1/rollouts/:id with the snapshots in turn (the last repeats), anything else with `other`. */
  const rolloutScript = (snapshots: unknown[], other: (req: Sent) => Response) => {
    let i = 0;
    return (req: Sent) =>
      req.method === 'GET' && req.url.startsWith('http://api.test/v1/rollouts/')
        ? json(200, snapshots[Math.min(i++, snapshots.length - 1)])
        : other(req);
  };

  beforeEach(() => {
    sent = [];
    answer = () => json(200, { items: [] });
    out = '';
    err = '';
    clock = Date.parse('2026-01-01T00:01:00Z');
  });

  describe('usage errors exit 2 and send nothing', () => {
    it.each([
      [
        ['upgrade', '--component', 'demo', '--to', '1.1.0', '--min-healthy', '10'],
        /--min-healthy "10" is not a duration; expected a number with a unit, like 500ms, 10s, 5m or 1h/,
      ],
      [
        ['upgrade', '--component', 'demo', '--to', '1.1.0', '--healthy-deadline', 'soon'],
        /--healthy-deadline "soon" is not a duration/,
      ],
      [
        ['upgrade', '--component', 'demo', '--to', '1.1.0', '--canary', 'half'],
        /--canary "half" is not a count or a percentage/,
      ],
      [
        ['upgrade', '--component', 'demo', '--to', '1.1.0', '--max-failures', '120%'],
        /--max-failures "120%" is not a count or a percentage/,
      ],
      [
        ['upgrade', '--component', 'demo', '--to', '1.1.0', '--max-parallel', '0'],
        /--max-parallel must be a whole number of at least 1/,
      ],
      [
        ['upgrade', '--component', 'demo', '--to', '1.1.0', '--nodes', 'group=canary,node-1'],
        /mixes labels and node ids/,
      ],
      [['upgrade', '--component', 'demo', '--to', '1.1.0', '--dry-run', '--wait'], /nothing to --wait for/],
      [['upgrade', '--to', '1.1.0'], /required option '--component <name>' not specified/],
      [['downgrade', '--component', 'demo'], /required option '--to <version>' not specified/],
      [['rollouts', 'show', 'latest'], /"latest" is not a rollout id/],
      [['rollouts', 'pause', '42'], /"42" is not a rollout id/],
      [
        ['rollouts', '--state', 'done'],
        /Allowed choices are planned, running, paused, succeeded, failed, aborted, rolled_back/,
      ],
      [['rollback', 'last'], /"last" is not a rollout id/],
      [
        ['locks', 'release', '--holder-token', '42', '--reason', 'wedged'],
        /refusing to force-release lock cluster without --yes-release-lock/,
      ],
      [
        ['locks', 'release', '--holder-token', '42', '--yes-release-lock'],
        /required option '--reason <text>' not specified/,
      ],
      [
        ['locks', 'release', '--reason', 'x', '--yes-release-lock'],
        /required option '--holder-token <n>' not specified/,
      ],
      [
        ['locks', 'release', '--holder-token', 'sched-1', '--reason', 'x', '--yes-release-lock'],
        /--holder-token must be the holder's fencing token, a whole number such as 42/,
      ],
      [
        ['locks', 'release', 'Cluster', '--holder-token', '4', '--reason', 'x', '--yes-release-lock'],
        /"Cluster" is not a lock key/,
      ],
    ])('lockstep %j', async (argv, message) => {
      const code = await lockstep(argv);

      expect(code).toBe(2);
      expect(err).toMatch(message);
      expect(sent).toEqual([]);
    });
  });

  it('lists nodes, lost ones marked', async () => {
    answer = () =>
      json(200, {
        items: [
          {
            id: 'node-1',
            hostname: 'h1',
            labels: { group: 'canary' },
            components: { demo: '1.0.0' },
            agentVersion: '0.1.0',
            state: 'idle',
            seenAt: '2026-01-01T00:00:58Z',
            lost: false,
          },
          {
            id: 'node-2',
            hostname: 'h2',
            labels: {},
            components: { demo: '1.0.0', web: '2.0.0' },
            agentVersion: '0.1.0',
            state: 'downloading',
            seenAt: '2026-01-01T00:00:00Z',
            lost: true,
          },
        ],
      });

    const code = await lockstep(['nodes']);

    expect(code).toBe(0);
    expect(sent).toEqual([{ method: 'GET', url: 'http://api.test/v1/nodes', body: undefined }]);
    expect(out.split('\n')).toEqual([
      expect.stringMatching(/^NODE\s+HOSTNAME\s+STATUS\s+STATE\s+COMPONENTS\s+LABELS\s+AGENT\s+SEEN$/),
      expect.stringMatching(/^node-1\s+h1\s+alive\s+idle\s+demo 1\.0\.0\s+group=canary\s+0\.1\.0\s+2s ago$/),
      expect.stringMatching(/^node-2\s+h2\s+LOST\s+downloading\s+demo 1\.0\.0, web 2\.0\.0\s+-\s+0\.1\.0\s+1m ago$/),
      '',
    ]);
  });

  it('upgrade --dry-run sends the strategy and prints the plan', async () => {
    answer = () => json(200, { rolloutId: null, dryRun: true, plan: rolloutPlan() });

    const code = await lockstep([
      'upgrade',
      '--component',
      'demo',
      '--to',
      '1.1.0',
      '--nodes',
      'group=web',
      '--max-parallel',
      '2',
      '--canary',
      '1',
      '--min-healthy',
      '500ms',
      '--healthy-deadline',
      '1m',
      '--max-failures',
      '10%',
      '--no-auto-rollback',
      '--pause-between',
      '30s',
      '--dry-run',
    ]);

    expect(code).toBe(0);
    expect(sent).toEqual([
      {
        method: 'POST',
        url: 'http://api.test/v1/rollouts',
        body: {
          component: 'demo',
          version: '1.1.0',
          direction: 'upgrade',
          selector: 'group=web',
          maxParallel: 2,
          canary: 1,
          minHealthyMs: 500,
          healthyDeadlineMs: 60_000,
          maxFailures: '10%',
          autoRollback: false,
          pauseBetweenBatchesMs: 30_000,
          dryRun: true,
        },
      },
    ]);
    expect(out).toMatch(/^dry run: upgrade demo to 1\.1\.0; nothing was started\nlock: +cluster/);
    expect(out).toMatch(/1 canary +node-1 +1\.0\.0 → 1\.1\.0\n/);
    expect(out).toMatch(
      /failure budget: +0 nodes may fail; the 1st failure fails the rollout; updated nodes stay where they are \(--no-auto-rollback\)/,
    );
  });

  it('downgrade sends direction downgrade and names the started rollout', async () => {
    answer = () =>
      json(201, { rolloutId: ROLLOUT_ID, dryRun: false, plan: rolloutPlan({ kind: 'downgrade', version: '1.0.0' }) });

    const code = await lockstep(['downgrade', '--component', 'demo', '--to', '1.0.0']);

    expect(code).toBe(0);
    expect(sent[0].body).toEqual({
      component: 'demo',
      version: '1.0.0',
      direction: 'downgrade',
      autoRollback: true,
      dryRun: false,
    });
    expect(out).toMatch(new RegExp(`^started rollout ${ROLLOUT_ID}: downgrade demo to 1\\.0\\.0\\n`));
  });

  describe('--wait', () => {
    const created = { rolloutId: ROLLOUT_ID, dryRun: false, plan: rolloutPlan() };
    const progress = rolloutSnapshot({
      nodes: [
        rolloutNode('node-1', { batch: 0, canary: true, status: 'installing', step: 'health_check', percent: 62 }),
        rolloutNode('node-2'),
      ],
    });
    const succeeded = rolloutSnapshot({
      state: 'succeeded',
      reason: 'all 2 nodes at 1.1.0',
      nodes: [
        rolloutNode('node-1', { batch: 0, canary: true, status: 'succeeded', percent: 100 }),
        rolloutNode('node-2', { status: 'succeeded', percent: 100 }),
      ],
    });
    const rolledBack = rolloutSnapshot({
      state: 'rolled_back',
      reason: '1 node(s) failed (allowed 0): node-1 (health_check: /healthz answered 500)',
      nodes: [
        rolloutNode('node-1', {
          batch: 0,
          canary: true,
          status: 'rolled_back',
          percent: 100,
          error: 'health_check: /healthz answered 500',
        }),
        rolloutNode('node-2'),
      ],
    });

    it('follows the rollout a line per change when stdout is not a terminal, and exits 0 when it succeeds', async () => {
      answer = rolloutScript([progress, progress, succeeded], () => json(201, created));

      const code = await lockstep(['upgrade', '--component', 'demo', '--to', '1.1.0', '--wait']);

      expect(code).toBe(0);
      expect(sent.map((s) => `${s.method} ${s.url}`)).toEqual([
        'POST http://api.test/v1/rollouts',
        ...Array(3).fill(`GET http://api.test/v1/rollouts/${ROLLOUT_ID}`),
      ]);
      expect(out).toContain('node-1  [#########-----]  62%  health_check\n');
      expect(out).toContain('node-1  [##############] 100%  succeeded\n');
      expect(out).toMatch(new RegExp(`rollout ${ROLLOUT_ID} succeeded: all 2 nodes at 1\\.1\\.0\\n$`));
      expect(out).not.toContain('\x1b');
      expect(err).toBe('');
    });

    it('redraws the bars in place on a terminal', async () => {
      answer = rolloutScript([progress, succeeded], () => json(201, created));

      const code = await lockstep(['upgrade', '--component', 'demo', '--to', '1.1.0', '--wait'], { tty: true });

      expect(code).toBe(0);
      expect(out).toContain('\x1b[3A\r\x1b[0J');
    });

    it('exits 1 with the reason when the rollout is rolled back', async () => {
      answer = rolloutScript([progress, rolledBack], () => json(201, created));

      const code = await lockstep(['upgrade', '--component', 'demo', '--to', '1.1.0', '--wait']);

      expect(code).toBe(1);
      expect(err).toBe(
        `error: rollout ${ROLLOUT_ID} rolled_back: 1 node(s) failed (allowed 0): node-1 (health_check: /healthz answered 500)\n`,
      );
      expect(out).toContain('node-1  [##############] 100%  rolled_back: health_check: /healthz answered 500\n');
    });

    it('writes JSON lines with --json: the creation answer, then each changed snapshot; the error as JSON on stderr', async () => {
      answer = rolloutScript([progress, progress, rolledBack], () => json(201, created));

      const code = await lockstep(['upgrade', '--component', 'demo', '--to', '1.1.0', '--wait', '--json']);

      const lines = out
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(code).toBe(1);
      expect(lines.map((l) => l.state ?? (l.rolloutId && 'created'))).toEqual(['created', 'running', 'rolled_back']);
      expect(JSON.parse(err)).toEqual({
        error: {
          code: 'ROLLOUT_ROLLED_BACK',
          message: expect.stringMatching(/^rollout .* rolled_back: 1 node\(s\) failed/),
        },
      });
    });

    it('follows an existing rollout with rollouts show --wait', async () => {
      answer = rolloutScript([succeeded], () => json(500, {}));

      const code = await lockstep(['rollouts', 'show', ROLLOUT_ID, '--wait']);

      expect(code).toBe(0);
      expect(out).toMatch(/succeeded: all 2 nodes at 1\.1\.0\n$/);
    });
  });

  it('lists rollouts with filters and shows one node by node', async () => {
    answer = rolloutScript(
      [
        rolloutSnapshot({
          nodes: [
            rolloutNode('node-1', {
              batch: 0,
              canary: true,
              status: 'failed',
              percent: 100,
              error: 'verifying: sha256 mismatch',
              startedAt: '2026-01-01T00:00:01Z',
            }),
          ],
        }),
      ],
      () => json(200, { items: [rolloutSnapshot()] }),
    );

    const listCode = await lockstep(['rollouts', '--state', 'running', '--limit', '5']);
    const listed = out;
    out = '';
    const showCode = await lockstep(['rollouts', 'show', ROLLOUT_ID]);

    expect([listCode, showCode]).toEqual([0, 0]);
    expect(sent[0].url).toBe('http://api.test/v1/rollouts?state=running&limit=5');
    expect(listed).toMatch(
      new RegExp(
        `^ID\\s+KIND\\s+COMPONENT\\s+VERSION\\s+STATE\\s+NODES\\s+CREATED\\s+REASON\\n${ROLLOUT_ID}\\s+upgrade\\s+demo\\s+1\\.1\\.0\\s+running\\s+0/2\\s+2026-01-01 00:00:00Z\\s+-\\n$`,
      ),
    );
    expect(out).toMatch(/^rollout: +0b9f3c1e/);
    expect(out).toMatch(
      /strategy: +max-parallel 1, canary 1, min-healthy 10s, healthy-deadline 5m, progress-deadline 10m, max-failures 0, auto-rollback on, pause-between 0s\n/,
    );
    expect(out).toMatch(
      /1 canary\s+node-1\s+1\.0\.0\s+failed\s+-\s+100%\s+2026-01-01 00:00:01Z\s+verifying: sha256 mismatch\n$/,
    );
  });

  it.each(['pause', 'resume', 'abort'])('rollouts %s posts the action and prints the new state', async (action) => {
    answer = () => json(200, { rolloutId: ROLLOUT_ID, state: 'paused' });

    const code = await lockstep(['rollouts', action, ROLLOUT_ID]);

    expect(code).toBe(0);
    expect(sent[0]).toMatchObject({ method: 'POST', url: `http://api.test/v1/rollouts/${ROLLOUT_ID}/${action}` });
    expect(out).toBe(`rollout ${ROLLOUT_ID} is paused\n`);
  });

  it("shows the API's refusal of an action (409) and exits 1", async () => {
    answer = () => json(409, { code: 'INVALID_STATE', detail: 'cannot resume a rollout that is running' });

    const code = await lockstep(['rollouts', 'resume', ROLLOUT_ID]);

    expect(code).toBe(1);
    expect(err).toBe('error: cannot resume a rollout that is running\n');
  });

  it('rollback posts the rollout to undo and its parallelism', async () => {
    answer = () =>
      json(201, {
        rolloutId: '11111111-1111-4111-8111-111111111111',
        dryRun: false,
        plan: rolloutPlan({ kind: 'rollback', version: '1.0.0' }),
      });

    const code = await lockstep(['rollback', ROLLOUT_ID, '--max-parallel', '3']);
    const latest = await lockstep(['rollback']);

    expect([code, latest]).toEqual([0, 0]);
    expect(sent.map((s) => s.body)).toEqual([{ rolloutId: ROLLOUT_ID, maxParallel: 3 }, {}]);
    expect(out).toMatch(/^started rollout 11111111-1111-4111-8111-111111111111: rollback demo to 1\.0\.0\n/);
    expect(out).toMatch(/nodes: +3 to roll back in 2 batches/);
  });

  describe('locks', () => {
    it('shows the holder and the latest force-releases', async () => {
      answer = () =>
        json(200, {
          items: [
            {
              key: 'cluster',
              holder: 'sched-1',
              rolloutId: ROLLOUT_ID,
              since: '2026-01-01T00:00:00Z',
              renewedAt: '2026-01-01T00:00:57Z',
              token: 42,
              expiresAt: '2026-01-01T00:01:12Z',
            },
          ],
          audit: [
            {
              id: '1',
              key: 'cluster',
              action: 'lock.release',
              by: 'bob@ops',
              reason: 'holder wedged',
              removed: { holder: 'sched-0', rolloutId: null, token: 7 },
              at: '2025-12-31T23:00:00Z',
            },
          ],
        });

      const code = await lockstep(['locks']);

      expect(code).toBe(0);
      expect(out).toMatch(
        new RegExp(
          `^KEY\\s+HOLDER\\s+ROLLOUT\\s+TOKEN\\s+SINCE\\s+RENEWED\\s+EXPIRES\\ncluster\\s+sched-1\\s+${ROLLOUT_ID}\\s+42\\s+2026-01-01 00:00:00Z \\(1m ago\\)\\s+3s ago\\s+in 12s\\n`,
        ),
      );
      expect(out).toMatch(
        /\nrecent lock releases:\nAT\s+KEY\s+ACTION\s+BY\s+REMOVED\s+REASON\n2025-12-31 23:00:00Z\s+cluster\s+lock\.release\s+bob@ops\s+sched-0 \(token 7\)\s+holder wedged\n$/,
      );
    });

    it('says the cluster is free', async () => {
      answer = () => json(200, { items: [], audit: [] });

      await lockstep(['locks']);

      expect(out).toBe('no lock is held: the cluster is free\n');
    });

    it('force-releases the holder named by its token, with the confirmation and the reason', async () => {
      answer = () =>
        json(200, { key: 'cluster', released: true, removed: { holder: 'sched-1', token: 42, rolloutId: ROLLOUT_ID } });

      const code = await lockstep([
        'locks',
        'release',
        '--holder-token',
        '42',
        '--reason',
        'holder wedged',
        '--yes-release-lock',
      ]);

      expect(code).toBe(0);
      expect(sent).toEqual([
        {
          method: 'POST',
          url: 'http://api.test/v1/locks/cluster/release',
          body: { token: 42, reason: 'holder wedged', confirm: true },
        },
      ]);
      expect(out).toMatch(
        new RegExp(
          `^released lock cluster held by sched-1 \\(token 42, rollout ${ROLLOUT_ID}\\); recorded in the audit trail`,
        ),
      );
    });
  });
});
