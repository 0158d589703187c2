import { InvalidVersionError, InvalidVersionRangeError } from './errors';
import { checkRange, satisfies, unmetRequirements, type RunningComponent } from './requirements';

describe(satisfies.name, () => {
  it.each([
    ['semver', '2.0.0', '>=2.0.0', true],
    ['semver', '1.9.9', '>=2.0.0', false],
    ['semver', '1.4.0', '^1.4', true],
    ['semver', '1.9.3', '^1.4', true],
    ['semver', '2.0.0', '^1.4', false],
    ['semver', '1.3.9', '^1.4', false],
    ['semver', '2.5.1', '>=2.0 <3', true],
    ['semver', '3.0.0', '>=2.0 <3', false],
    ['semver', '2.1.0-rc.1', '>=2.0.0', true],
    ['semver', '1.0.0+build.7', '1.0.0', true],
    ['semver', '0.9.0', '>=2.0.0 || 0.9.x', true],
    ['abr', '1r2', '>=1r2', true],
    ['abr', '1r12', '>=1r2', true],
    ['abr', '1b2', '>=1r2', false],
    ['abr', '2a1', '>=1r2', true],
    ['abr', '0r9', '>= 1r1', false],
  ] as const)('%s: %s in %s is %s', (scheme, version, range, expected) => {
    const result = satisfies(scheme, version, range);

    expect(result).toBe(expected);
  });

  it.each([
    ['semver', '1.0.0', 'foo'],
    ['semver', '1.0.0', ''],
    ['semver', '1.0.0', '>=1r2'],
    ['abr', '1r2', '^1r2'],
    ['abr', '1r2', '>=2.0.0'],
    ['abr', '1r2', '<2r1'],
  ])('%s refuses the range of %s in %j, naming the forms it reads', (scheme, version, range) => {
    const act = () => satisfies(scheme, version, range);

    expect(act).toThrow(InvalidVersionRangeError);
    expect(act).toThrow(new RegExp(`not a version range of the ${scheme} scheme; expected`));
  });

  it('refuses a version outside the scheme', () => {
    expect(() => satisfies('abr', '1.0.0', '>=1r1')).toThrow(InvalidVersionError);
  });
});

describe(checkRange.name, () => {
  it.each([
    ['semver', '>=2.0 <3'],
    ['abr', '>=0b3'],
  ])('%s reads %s', (scheme, range) => {
    expect(checkRange(scheme, range)).toBe(range);
  });

  it('says abr knows lower bounds only', () => {
    expect(() => checkRange('abr', '^1r1')).toThrow(/expected >=VERSION, a lower bound/);
  });
});

describe(unmetRequirements.name, () => {
  const running = new Map<string, RunningComponent>([
    ['config', { version: '1.5.0', scheme: 'semver' }],
    ['app', { version: '1.4.2', scheme: 'semver' }],
    ['legacy', { version: '1r3', scheme: 'abr' }],
    ['fresh', { version: null, scheme: 'semver' }],
  ]);

  it.each([
    [{ config: '>=2.0.0' }, [['config', '>=2.0.0', '1.5.0', 'needs config >=2.0.0, which runs 1.5.0']]],
    [{ app: '>=1.4' }, []],
    [{ legacy: '>=1r3', app: '^1.4' }, []],
    [{ legacy: '>=2r1' }, [['legacy', '>=2r1', '1r3', 'needs legacy >=2r1, which runs 1r3']]],
    [{ fresh: '>=1.0.0' }, [['fresh', '>=1.0.0', null, 'needs fresh >=1.0.0, whose running version is not known yet']]],
    [{ ghost: '>=1.0.0' }, [['ghost', '>=1.0.0', null, 'needs ghost >=1.0.0, which is not registered']]],
    [
      { config: '>=2.0.0', app: '>=2.0.0' },
      [
        ['app', '>=2.0.0', '1.4.2', 'needs app >=2.0.0, which runs 1.4.2'],
        ['config', '>=2.0.0', '1.5.0', 'needs config >=2.0.0, which runs 1.5.0'],
      ],
    ],
  ] as const)('%j is unmet by %j', (requires, expected) => {
    const result = unmetRequirements(requires, running);

    expect(result).toEqual(
      expected.map(([component, range, runs, reason]) => ({ component, range, running: runs, reason })),
    );
  });

  it('counts a range the scheme cannot read as unmet, with the reason, instead of throwing', () => {
    const [unmet] = unmetRequirements({ legacy: '^1r1' }, running);

    expect(unmet).toMatchObject({ component: 'legacy', running: '1r3' });
    expect(unmet.reason).toMatch(/^needs legacy \^1r1, which runs 1r3, and the range cannot be checked: /);
  });

  it('is empty for no requirements', () => {
    expect(unmetRequirements({}, running)).toEqual([]);
  });
});
