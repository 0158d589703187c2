import type { ApprovalView, HoldView } from '@lockstep/contracts';
import { jsonResponse, problemResponse, recordingCli } from '../testing/fake-api';

const NOW = Date.parse('2026-03-01T12:00:00Z');

const approval = (over: Partial<ApprovalView> = {}): ApprovalView => ({
  component: 'demo',
  version: '2.0.0',
  state: 'approved',
  requestedAt: '2026-03-01T09:00:00.000Z',
  decidedAt: '2026-03-01T11:00:00.000Z',
  decidedBy: 'alice',
  reason: '',
  ...over,
});

const hold = (over: Partial<HoldView> = {}): HoldView => ({
  id: '3f0b6c1e-1d2a-4c3b-9e8f-7a6b5c4d3e2f',
  component: 'demo',
  version: null,
  reason: 'quarter-end freeze',
  automatic: false,
  createdAt: '2026-03-01T10:00:00.000Z',
  createdBy: 'alice',
  releasedAt: null,
  releasedBy: null,
  ...over,
});

describe('lockstep approve / reject', () => {
  const { lockstep, seen, reset } = recordingCli(NOW);

  beforeEach(() => reset());

  it('approves a release and says when it goes out', async () => {
    seen.answer = () => jsonResponse(200, { approval: approval(), replaced: null });

    const code = await lockstep(['approve', 'demo', '2.0.0', '--reason', 'staging is fine']);

    expect(code).toBe(0);
    expect(seen.sent).toEqual([
      { method: 'POST', url: 'http://api.test/v1/updates/demo/2.0.0/approve', body: { reason: 'staging is fine' } },
    ]);
    expect(seen.out).toBe("approved demo 2.0.0: it goes out in its policy's next maintenance window\n");
  });

  it('rejects a release, saying which approval it replaced; --json prints the answer', async () => {
    const answer = {
      approval: approval({ state: 'rejected', reason: 'CVE-2026-1', decidedBy: 'bob' }),
      replaced: approval({ reason: 'looked fine' }),
    };
    seen.answer = () => jsonResponse(200, answer);

    const text = await lockstep(['reject', 'demo', '2.0.0+build.7', '--reason', 'CVE-2026-1']);
    const out = seen.out;
    seen.out = '';
    await lockstep(['reject', 'demo', '2.0.0', '--reason', 'CVE-2026-1', '--json']);

    expect(text).toBe(0);
    expect(seen.sent[0]).toEqual({
      method: 'POST',
      url: 'http://api.test/v1/updates/demo/2.0.0%2Bbuild.7/reject',
      body: { reason: 'CVE-2026-1' },
    });
    expect(out).toBe(
      'rejected demo 2.0.0: nothing installs it automatically (lockstep approve demo 2.0.0 reverses this)\n' +
        'this replaces the earlier decision: approved by alice at 2026-03-01 11:00:00Z (looked fine)\n',
    );
    expect(JSON.parse(seen.out)).toEqual(answer);
  });

  it("prints the API's refusal of a version the checker never announced and exits 1", async () => {
    seen.answer = () =>
      problemResponse(404, 'NOT_FOUND', 'the checker never announced demo 9.9.9; known versions of demo: 2.0.0');

    const code = await lockstep(['approve', 'demo', '9.9.9']);

    expect(code).toBe(1);
    expect(seen.err).toMatch(/never announced demo 9\.9\.9; known versions of demo: 2\.0\.0/);
  });

  it.each([
    [['reject', 'demo', '2.0.0'], /--reason/],
    [['reject', 'demo', '2.0.0', '--reason', ' '], /--reason must say why the release is rejected/],
    [['approve', 'Demo', '2.0.0'], /"Demo" is not a component name/],
    [['approve', 'demo', '2.0 beta'], /"2\.0 beta" is not a release version/],
  ])('refuses %j without asking the API', async (argv, message) => {
    const code = await lockstep(argv);

    expect(code).toBe(2);
    expect(seen.err).toMatch(message);
    expect(seen.sent).toEqual([]);
  });
});

describe('lockstep hold / release-hold / holds', () => {
  const { lockstep, seen, reset } = recordingCli(NOW);

  beforeEach(() => reset());

  it.each([
    [
      ['hold', 'demo', '--reason', 'freeze'],
      { component: 'demo', reason: 'freeze' },
      null,
      'lockstep release-hold demo',
    ],
    [
      ['hold', 'demo', '--version', '2.0.0', '--reason', 'freeze'],
      { component: 'demo', version: '2.0.0', reason: 'freeze' },
      '2.0.0',
      'lockstep release-hold demo --version 2.0.0',
    ],
  ])('%j holds and says how to lift it', async (argv, body, version, lift) => {
    seen.answer = () => jsonResponse(201, hold({ version, reason: 'freeze' }));

    const code = await lockstep(argv);

    expect(code).toBe(0);
    expect(seen.sent).toEqual([{ method: 'POST', url: 'http://api.test/v1/holds', body }]);
    expect(seen.out).toContain(`nothing installs it automatically until ${lift}\n`);
  });

  it('refuses a hold without a reason', async () => {
    const code = await lockstep(['hold', 'demo']);

    expect(code).toBe(2);
    expect(seen.err).toMatch(/--reason/);
    expect(seen.sent).toEqual([]);
  });

  it("prints the API's 409 for a second hold", async () => {
    seen.answer = () =>
      problemResponse(
        409,
        'HOLD_EXISTS',
        'demo (every version) is already held …; release it first (lockstep release-hold demo)',
      );

    const code = await lockstep(['hold', 'demo', '--reason', 'again']);

    expect(code).toBe(1);
    expect(seen.err).toMatch(/already held .*lockstep release-hold demo/);
  });

  it.each([
    [['release-hold', 'demo'], 'http://api.test/v1/holds/demo'],
    [['release-hold', 'demo', '--version', '2.0.0'], 'http://api.test/v1/holds/demo?version=2.0.0'],
  ])('%j releases the hold', async (argv, url) => {
    seen.answer = () => jsonResponse(200, hold({ releasedAt: '2026-03-01T12:00:00.000Z', releasedBy: 'bob' }));

    const code = await lockstep(argv);

    expect(code).toBe(0);
    expect(seen.sent).toEqual([{ method: 'DELETE', url, body: undefined }]);
    expect(seen.out).toBe(
      'released the hold on demo (every version), held since 2026-03-01 10:00:00Z by alice: quarter-end freeze; automatic installs may resume\n',
    );
  });

  it('lists live holds as a table, every version as (all), automatic ones marked', async () => {
    seen.answer = () =>
      jsonResponse(200, {
        items: [
          hold(),
          hold({
            version: '2.0.0',
            reason: 'rollout r-1 failed and rolled back',
            automatic: true,
            createdBy: 'scheduler',
          }),
        ],
      });

    const code = await lockstep(['holds']);

    expect(code).toBe(0);
    const lines = seen.out.trimEnd().split('\n');
    expect(lines[0].split(/\s{2,}/)).toEqual(['COMPONENT', 'VERSION', 'REASON', 'AUTOMATIC', 'SINCE', 'BY']);
    expect(lines[1].split(/\s{2,}/)).toEqual([
      'demo',
      '(all)',
      'quarter-end freeze',
      'no',
      '2026-03-01 10:00:00Z (2h ago)',
      'alice',
    ]);
    expect(lines[2]).toMatch(/^demo\s+2\.0\.0\s+rollout r-1 failed and rolled back\s+yes\s+.*scheduler$/);
  });

  it('says when nothing is held, and --json prints the list', async () => {
    seen.answer = () => jsonResponse(200, { items: [] });

    await lockstep(['holds']);
    const text = seen.out;
    seen.out = '';
    await lockstep(['holds', '--json']);

    expect(text).toMatch(/^no holds: /);
    expect(JSON.parse(seen.out)).toEqual([]);
  });
});
