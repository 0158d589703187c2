import { newestReleaseRequirements, refuseRequirements, type RequirementsSnapshot } from './registration-requirements';

const snapshot = (releases: RequirementsSnapshot['releases'] = []): RequirementsSnapshot => ({
  components: [
    { name: 'config', scheme: 'semver', requires: {} },
    { name: 'app', scheme: 'semver', requires: { config: '>=2.0.0' } },
    { name: 'legacy', scheme: 'abr', requires: {} },
  ],
  releases,
});

describe(refuseRequirements.name, () => {
  it.each([
    ['worker', { app: '>=1.4', config: '^2' }, []],
    ['worker', { legacy: '>=1r2' }, []],
    ['config', {}, [{ component: 'app', version: '3.0.0', requires: { config: '>=2.0.0' } }]],
    // A cycle between announced releases that does not pass through worker is not worker's doing.
    ['worker', { app: '>=1.4' }, [{ component: 'config', version: '2.0.0', requires: { app: '>=1.0.0' } }]],
  ])('lets %s require %j (releases %j)', (name, requires, releases) => {
    expect(refuseRequirements(name, requires, snapshot(releases))).toBeNull();
  });

  it.each([
    ['config', { app: '>=1.0.0' }, [], 'DEPENDENCY_CYCLE', 'cycle: config → app → config;'],
    ['worker', { worker: '>=1.0.0' }, [], 'DEPENDENCY_CYCLE', 'cycle: worker → worker;'],
    [
      'app',
      { config: '>=2.0.0' },
      [{ component: 'config', version: '2.0.0', requires: { app: '>=1.0.0' } }],
      'DEPENDENCY_CYCLE',
      'cycle: app → config → app;',
    ],
    [
      'worker',
      { ghost: '>=1.0.0' },
      [],
      'REQUIREMENT_UNKNOWN_COMPONENT',
      'ghost is not registered (registered: app, config, legacy)',
    ],
    ['worker', { legacy: '^1r2' }, [], 'REQUIREMENT_RANGE_INVALID', 'not a version range of the abr scheme'],
  ])('refuses %s requiring %j (releases %j) with %s', (name, requires, releases, code, message) => {
    const result = refuseRequirements(name, requires, snapshot(releases));

    expect(result?.code).toBe(code);
    expect(result?.message).toContain(message);
  });
});

describe(newestReleaseRequirements.name, () => {
  it('takes each component’s newest announced release by its version scheme', () => {
    const result = newestReleaseRequirements(
      snapshot([
        { component: 'config', version: '10.0.0', requires: { app: '>=2.0.0' } },
        { component: 'config', version: '9.0.0', requires: { app: '>=1.0.0' } },
        { component: 'legacy', version: '1b3', requires: { config: '>=1.0.0' } },
        { component: 'legacy', version: '1r2', requires: {} },
        { component: 'gone', version: '1.0.0', requires: { app: '>=1.0.0' } },
      ]),
    );

    expect(result).toEqual(
      new Map([
        ['config', { app: '>=2.0.0' }],
        ['legacy', { config: '>=1.0.0' }],
      ]),
    );
  });
});
