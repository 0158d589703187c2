import type { UpdatePolicyV1 } from '@lockstep/contracts';
import {
  dependantsOf,
  evaluateComponent,
  installOrder,
  refuseCycles,
  type ComponentEvaluationInput,
  type ComponentFacts,
  type DueRun,
  type ReleaseFacts,
} from './update-evaluation';

const policy: UpdatePolicyV1 = {
  classes: {
    security: 'immediate',
    hotfix: 'immediate',
    patch: 'next-window',
    minor: 'next-window',
    major: 'approval',
    prerelease: 'never',
  },
  channel: 'stable',
  minimumReleaseAge: '1h',
  bypassMinimumAgeFor: ['security'],
  strategy: {
    maxParallel: 1,
    canary: 0,
    minHealthy: '1s',
    healthyDeadline: '1m',
    failureBudget: 0,
    autoRollback: true,
  },
  backupBefore: false,
  windows: ['nightly'],
};
const now = new Date('2026-03-10T12:00:00Z');
const release = (version: string, flags: Partial<ReleaseFacts> = {}): ReleaseFacts => ({
  version,
  channel: 'stable',
  security: false,
  hotfix: false,
  breaking: false,
  publishedAt: new Date('2026-03-10T08:00:00Z'),
  requires: {},
  ...flags,
});
const input = (over: Partial<ComponentEvaluationInput> = {}): ComponentEvaluationInput => ({
  component: { name: 'app', scheme: 'semver', currentVersion: '1.0.0', requires: {} },
  releases: [],
  policy,
  windows: [
    {
      name: 'nightly',
      spec: { start: { time: '22:00' }, duration: '4h', timezone: 'UTC' },
      components: [],
      nodeLabels: {},
    },
  ],
  holds: [],
  approvals: new Map(),
  dueRuns: [],
  running: new Map([
    ['app', { version: '1.0.0', scheme: 'semver' }],
    ['config', { version: '1.5.0', scheme: 'semver' }],
  ]),
  now,
  ...over,
});
const run: DueRun = {
  key: 's@x',
  scheduleName: 'patches',
  dueAt: now,
  timezone: 'UTC',
  components: ['app'],
  classes: ['patch'],
};

describe(evaluateComponent.name, () => {
  it.each([
    [
      'a security release installs now, however young',
      release('1.0.1', { security: true, publishedAt: now }),
      'install-now',
    ],
    ['a patch waits for the window', release('1.0.1'), 'wait-window'],
    ['a major waits for approval', release('2.0.0'), 'wait-approval'],
    ['a young minor is too young', release('1.1.0', { publishedAt: new Date('2026-03-10T11:30:00Z') }), 'too-young'],
  ])('%s', (_what, r, decision) => {
    const [sut] = evaluateComponent(input({ releases: [r] }));

    expect(sut.decision).toBe(decision);
  });

  it('lists only newer releases on the followed channel, newest first', () => {
    const sut = evaluateComponent(
      input({
        releases: [
          release('0.9.0'),
          release('1.0.0'),
          release('1.0.2'),
          release('1.0.1'),
          release('1.2.0', { channel: 'beta' }),
        ],
      }),
    );

    expect(sut.map((e) => e.version)).toEqual(['1.0.2', '1.0.1']);
  });

  it('installs a waiting patch in a schedule run that covers it, and only then', () => {
    const [covered] = evaluateComponent(input({ releases: [release('1.0.1')], dueRuns: [run] }));
    const [minor] = evaluateComponent(input({ releases: [release('1.1.0')], dueRuns: [run] }));

    expect(covered).toMatchObject({ decision: 'install-now', run });
    expect(covered.reason).toBe('installing now: schedule patches runs at 2026-03-10 12:00 UTC');
    expect(minor.decision).toBe('wait-window');
  });

  it('installs an approved major when its window is open, keeping to that window', () => {
    const [sut] = evaluateComponent(
      input({
        releases: [release('2.0.0')],
        approvals: new Map([['2.0.0', 'approved']]),
        now: new Date('2026-03-10T23:00:00Z'),
      }),
    );

    expect(sut).toMatchObject({ decision: 'install-now', window: { name: 'nightly' } });
  });

  it('says a held release is held', () => {
    const [sut] = evaluateComponent(
      input({ releases: [release('1.0.1', { security: true })], holds: [{ version: '1.0.1', reason: 'broken' }] }),
    );

    expect(sut).toMatchObject({ decision: 'held', reason: 'held: broken' });
  });

  it('waits for what a release needs of another component, saying what runs', () => {
    const [sut] = evaluateComponent(
      input({ releases: [release('1.0.1', { security: true, requires: { config: '>=2.0.0' } })] }),
    );

    expect(sut).toMatchObject({
      decision: 'wait-dependency',
      reason: 'waits for config: needs config >=2.0.0, which runs 1.5.0',
    });
  });

  it('applies the requirements a component was registered with to every release, and installs once they are met', () => {
    const registered = { name: 'app', scheme: 'semver', currentVersion: '1.0.0', requires: { config: '>=1.5.0' } };
    const [met] = evaluateComponent(input({ component: registered, releases: [release('1.0.1', { security: true })] }));
    const [unmet] = evaluateComponent(
      input({
        component: { ...registered, requires: { config: '>=1.6.0' } },
        releases: [release('1.0.1', { security: true })],
      }),
    );

    expect(met.decision).toBe('install-now');
    expect(unmet.decision).toBe('wait-dependency');
  });
});

describe(dependantsOf.name, () => {
  it('does not install what the others, as they run, cannot take, and says which to update first', () => {
    const components: ComponentFacts[] = [
      { name: 'app', scheme: 'semver', currentVersion: '1.0.0', requires: {} },
      { name: 'worker', scheme: 'semver', currentVersion: '3.0.0', requires: { app: '<2.0.0' } },
    ];
    const requiredBy = dependantsOf(components, new Map()).get('app');

    const [major, minor] = evaluateComponent(
      input({ releases: [release('2.0.0', { security: true }), release('1.1.0', { security: true })], requiredBy }),
    );

    expect(major).toMatchObject({
      decision: 'wait-dependency',
      reason:
        'waits: worker as it runs needs app <2.0.0; update worker to a release that accepts 2.0.0 first, or upgrade by hand',
    });
    expect(minor.decision).toBe('install-now');
  });
});

describe(refuseCycles.name, () => {
  it('holds back every release of a cycle and names it', () => {
    const config = evaluateComponent(
      input({
        component: { name: 'config', scheme: 'semver', currentVersion: '1.5.0', requires: {} },
        releases: [release('1.5.1', { security: true, requires: { app: '>=1.0.0' } })],
      }),
    );
    const app = evaluateComponent(
      input({ releases: [release('1.0.1', { security: true, requires: { config: '>=1.5.0' } })] }),
    );

    const sut = refuseCycles([...config, ...app], []);

    expect(sut.map((e) => [e.component, e.decision, e.reason])).toEqual([
      ['config', 'wait-dependency', expect.stringContaining('the requirements form a cycle app → config → app')],
      ['app', 'wait-dependency', expect.stringContaining('the requirements form a cycle app → config → app')],
    ]);
  });
});

describe(installOrder.name, () => {
  it('starts what others need first', () => {
    const app = evaluateComponent(
      input({ releases: [release('1.0.1', { security: true, requires: { config: '>=1.5.0' } })] }),
    );
    const config = evaluateComponent(
      input({
        component: { name: 'config', scheme: 'semver', currentVersion: '1.5.0', requires: {} },
        releases: [release('1.5.1', { security: true })],
      }),
    );

    expect(installOrder([...app, ...config]).map((e) => e.component)).toEqual(['config', 'app']);
  });
});
