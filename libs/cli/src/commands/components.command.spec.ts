import { componentView } from '../testing/component-fixtures';
import { jsonResponse, problemResponse, recordingCli } from '../testing/fake-api';
import { formatCheckResults } from './check.command';
import { describeSource, formatComponents, formatFleet, formatRequires } from './components.command';
import { parseRequiresOption } from './release-options';

const component = componentView;
/** demo counted as 1.1.0, the lowest its three live nodes run, one lost node apart. */
const split = componentView({
  currentVersion: '1.1.0',
  fleet: {
    nodes: 3,
    lost: 1,
    versions: [
      { version: '1.2.0', nodes: 2 },
      { version: '1.1.0', nodes: 1 },
    ],
  },
});

describe(describeSource.name, () => {
  it.each([
    [component(), 'tuf (bucket) root e163082cf42a'],
    [
      component({ source: { mode: 'http', metadataUrl: 'https://r.example.com/meta/' } }),
      'tuf (https://r.example.com/meta/)',
    ],
    [
      component({ sourceType: 'npm', source: { package: '@acme/app', registry: 'https://npm.example.com' } }),
      'npm @acme/app @ https://npm.example.com',
    ],
  ])('%#: %s', (c, text) => {
    expect(describeSource(c)).toBe(text);
  });
});

describe(formatComponents.name, () => {
  it('says whether the last check passed, failed (with why) or has not run', () => {
    const sut = formatComponents([
      component(),
      component({ name: 'api', lastCheckedAt: '2026-01-01T00:00:00Z' }),
      component({
        name: 'web',
        lastCheckedAt: '2026-01-01T00:00:00Z',
        lastError: { code: 'METADATA_EXPIRED', message: 'timestamp.json expired' },
      }),
    ]).split('\n');

    expect(sut[0]).toMatch(/^NAME\s+SOURCE\s+CHANNEL\s+SCHEME\s+CURRENT\s+NODES RUN\s+LAST CHECK\s+STATUS$/);
    expect(sut[1]).toMatch(/not checked yet$/);
    expect(sut[2]).toMatch(/2026-01-01 00:00:00Z\s+ok$/);
    expect(sut[3]).toMatch(/METADATA_EXPIRED: timestamp\.json expired$/);
  });
});

describe(formatFleet.name, () => {
  it.each([
    [split.fleet, '1.2.0 ×2, 1.1.0 ×1, 1 lost'],
    [{ nodes: 2, lost: 0, versions: [{ version: '1.0.0', nodes: 2 }] }, '1.0.0 ×2'],
    [{ nodes: 0, lost: 2, versions: [] }, '2 lost'],
    [{ nodes: 0, lost: 0, versions: [] }, 'no node reports it'],
    [null, 'unknown (nodes unreadable)'],
  ])('%j: %s', (fleet, text) => {
    expect(formatFleet(fleet)).toBe(text);
  });

  it('shows it in the table next to the version the component counts as running', () => {
    const sut = formatComponents([split]).split('\n');

    expect(sut[1]).toMatch(/\s1\.1\.0\s+1\.2\.0 ×2, 1\.1\.0 ×1, 1 lost\s/);
  });
});

describe(parseRequiresOption.name, () => {
  it.each([
    ['config>=2.0.0', { config: '>=2.0.0' }],
    ['config>=2.0.0,app>=1.4', { config: '>=2.0.0', app: '>=1.4' }],
    [' app^1.4 , worker>=2.0 <3 ', { app: '^1.4', worker: '>=2.0 <3' }],
    ['lib@1.4.x,legacy>=1r2', { lib: '1.4.x', legacy: '>=1r2' }],
    ['my-app.v2 ~1.2.3', { 'my-app.v2': '~1.2.3' }],
    ['', {}],
  ])('%j is %j', (value, expected) => {
    expect(parseRequiresOption(value)).toEqual(expected);
  });

  it.each([
    ['config2.0.0', /--requires item "config2.0.0" is not COMPONENT followed by a range/],
    ['config>=2.0,config>=3', /names config twice/],
    ['config>=banana', /not a version range/],
    ['Config>=2.0.0', /is not COMPONENT followed by a range/],
  ])('refuses %j with a usage error that shows the form', (value, message) => {
    expect(() => parseRequiresOption(value)).toThrow(message);
  });
});

describe(formatRequires.name, () => {
  it.each([
    [{}, 'nothing'],
    [{ config: '>=2.0.0', app: '^1.4' }, 'config >=2.0.0, app ^1.4'],
  ])('%j: %s', (requires, text) => {
    expect(formatRequires(requires)).toBe(text);
  });
});

describe(formatCheckResults.name, () => {
  it('lists announced versions or the failure', () => {
    const sut = formatCheckResults([{ component: 'demo', ok: true, announced: ['1.1.0', '1.2.0'] }]);

    expect(sut).toMatch(/demo\s+ok\s+1\.1\.0, 1\.2\.0\s+-/);
  });
});

describe('lockstep components (against a fake API)', () => {
  const { lockstep, seen, reset } = recordingCli(Date.parse('2026-01-01T00:00:00Z'));
  beforeEach(reset);

  it('--json lists each component with what its nodes run', async () => {
    seen.answer = () => jsonResponse(200, { items: [split] });

    const code = await lockstep(['components', '--json']);

    expect(code).toBe(0);
    expect(JSON.parse(seen.out)).toEqual([split]);
  });

  it('show NAME prints the version it counts as running and how many nodes run each version', async () => {
    seen.answer = () => jsonResponse(200, split);

    const code = await lockstep(['components', 'show', 'demo']);

    expect(code).toBe(0);
    expect(seen.sent).toEqual([{ method: 'GET', url: 'http://api.test/v1/components/demo', body: undefined }]);
    expect(seen.out).toMatch(/^current: +1\.1\.0$/m);
    expect(seen.out).toMatch(/^nodes run: +1\.2\.0 ×2, 1\.1\.0 ×1, 1 lost$/m);
  });

  it('show NAME --json prints the API answer, and an unknown component exits 1 with what to do', async () => {
    seen.answer = (req) =>
      req.url.endsWith('/demo')
        ? jsonResponse(200, split)
        : problemResponse(404, 'NOT_FOUND', 'component nope is not registered; list them with GET /v1/components');

    const shown = await lockstep(['components', 'show', 'demo', '--json']);
    const shownOut = seen.out;
    const missing = await lockstep(['components', 'show', 'nope']);

    expect(shown).toBe(0);
    expect(JSON.parse(shownOut)).toEqual(split);
    expect(missing).toBe(1);
    expect(seen.err).toMatch(/component nope is not registered/);
  });

  /** `lockstep components add demo` from npm: the arguments every add below starts with. */
  const addDemo = ['components', 'add', 'demo', '--source', 'npm', '--package', 'demo'];

  it('add --requires sends what the component needs, and shows it', async () => {
    seen.answer = () => jsonResponse(200, component({ requires: { config: '>=2.0.0', app: '^1.4' } }));

    const code = await lockstep([...addDemo, '--requires', 'config>=2.0.0,app^1.4']);

    expect(code).toBe(0);
    expect(seen.sent[0].body).toMatchObject({ requires: { config: '>=2.0.0', app: '^1.4' } });
    expect(seen.out).toMatch(/^requires: +config >=2\.0\.0, app \^1\.4$/m);
  });

  it('add without --requires leaves them as they are, and a malformed item is a usage error sent nowhere', async () => {
    seen.answer = () => jsonResponse(200, component());

    const kept = await lockstep(addDemo);
    const keptBody = seen.sent[0].body;
    const bad = await lockstep([...addDemo, '--requires', 'config2']);

    expect(kept).toBe(0);
    expect(keptBody).not.toHaveProperty('requires');
    // nor does it forget the version that runs: without --current none is sent (it used to send null)
    expect(keptBody).not.toHaveProperty('currentVersion');
    expect(bad).toBe(2);
    expect(seen.sent).toHaveLength(1);
    expect(seen.err).toMatch(/--requires item "config2" is not COMPONENT followed by a range/);
  });
});
