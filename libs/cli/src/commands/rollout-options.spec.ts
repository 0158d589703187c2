import { UsageError } from '../errors';
import {
  buildRolloutBody,
  checkRolloutId,
  parseCountOrPercent,
  parseDurationFlag,
  parsePositiveInt,
  parseSelector,
  type RolloutFlags,
} from './rollout-options';

describe(parseDurationFlag.name, () => {
  it.each([
    ['500ms', 500],
    ['10s', 10_000],
    ['1.5s', 1500],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['0s', 0],
  ])('%s is %i ms', (value, ms) => {
    expect(parseDurationFlag('--min-healthy', value)).toBe(ms);
  });

  it.each(['10', 'ten seconds', '5 m', '-1s', '1d', ''])(
    'refuses %j, naming the flag and the expected form',
    (value) => {
      expect(() => parseDurationFlag('--healthy-deadline', value)).toThrow(
        new UsageError(
          `--healthy-deadline "${value}" is not a duration; expected a number with a unit, like 500ms, 10s, 5m or 1h`,
        ),
      );
    },
  );
});

describe(parseCountOrPercent.name, () => {
  it.each([
    ['2', 2],
    ['0', 0],
    ['20%', '20%'],
    ['100%', '100%'],
  ])('%s -> %j', (value, parsed) => {
    expect(parseCountOrPercent('--canary', value)).toEqual(parsed);
  });

  it.each(['150%', '1.5', 'two', '-1', '%', '20 %'])('refuses %j', (value) => {
    expect(() => parseCountOrPercent('--max-failures', value)).toThrow(
      /^--max-failures ".*" is not a count or a percentage; expected a whole number like 2 or a percentage like 20% \(at most 100%\)$/,
    );
  });
});

describe(parsePositiveInt.name, () => {
  it.each(['0', '-2', '1.5', 'x'])('refuses %j', (value) => {
    expect(() => parsePositiveInt('--max-parallel', value)).toThrow(
      `--max-parallel must be a whole number of at least 1 (got "${value}")`,
    );
  });

  it('accepts 1 and up', () => {
    expect(parsePositiveInt('--max-parallel', '20')).toBe(20);
  });
});

describe(parseSelector.name, () => {
  it.each([
    ['all', 'all'],
    ['group=canary', 'group=canary'],
    ['group=canary, zone=eu-1', 'group=canary,zone=eu-1'],
    ['node-1,node_2', 'node-1,node_2'],
    [' node-1 ', 'node-1'],
  ])('%j -> %j', (value, selector) => {
    expect(parseSelector(value)).toBe(selector);
  });

  it.each([
    ['group=canary,node-1', /mixes labels and node ids/],
    ['node-1,,node-2', /has an empty item/],
    ['', /has an empty item/],
    ['Node-1', /"Node-1" is not a node id/],
    ['group=', /"group=" is not a label/],
    ['group=a b', /"group=a b" is not a label/],
  ])('refuses %j', (value, message) => {
    expect(() => parseSelector(value)).toThrow(message);
  });
});

describe(buildRolloutBody.name, () => {
  const flags = (over: Partial<RolloutFlags> = {}): RolloutFlags => ({
    component: 'demo',
    to: '1.1.0',
    autoRollback: true,
    ...over,
  });

  it('sends only what was given, so the scheduler defaults the rest', () => {
    const sut = buildRolloutBody('upgrade', flags());

    expect(sut).toEqual({
      component: 'demo',
      version: '1.1.0',
      direction: 'upgrade',
      autoRollback: true,
      dryRun: false,
    });
  });

  it('maps every flag to its field', () => {
    const sut = buildRolloutBody(
      'downgrade',
      flags({
        nodes: 'group=canary',
        maxParallel: 2,
        canary: '20%',
        minHealthy: 500,
        healthyDeadline: 60_000,
        progressDeadline: 120_000,
        maxFailures: 1,
        autoRollback: false,
        pauseBetween: 30_000,
        dryRun: true,
      }),
    );

    expect(sut).toEqual({
      component: 'demo',
      version: '1.1.0',
      direction: 'downgrade',
      selector: 'group=canary',
      maxParallel: 2,
      canary: '20%',
      minHealthyMs: 500,
      healthyDeadlineMs: 60_000,
      progressDeadlineMs: 120_000,
      maxFailures: 1,
      autoRollback: false,
      pauseBetweenBatchesMs: 30_000,
      dryRun: true,
    });
  });

  it('sends --canary-soak as canarySoakMs, and leaves it to the scheduler (the pause between batches) when not given', () => {
    const soaked = buildRolloutBody('upgrade', flags({ canary: 1, canarySoak: 600_000, pauseBetween: 30_000 }));
    const unsoaked = buildRolloutBody('upgrade', flags({ canary: 1, pauseBetween: 30_000 }));

    expect(soaked).toMatchObject({ canary: 1, canarySoakMs: 600_000, pauseBetweenBatchesMs: 30_000 });
    expect(unsoaked).not.toHaveProperty('canarySoakMs');
  });

  it.each([
    ['--dry-run with --wait', { dryRun: true, wait: true }, /nothing to --wait for/],
    [
      'min-healthy not shorter than the deadline',
      { minHealthy: 60_000, healthyDeadline: 60_000 },
      /--min-healthy \(60000 ms\) must be shorter than --healthy-deadline \(60000 ms\)/,
    ],
    [
      'a deadline below the default min-healthy',
      { healthyDeadline: 5000 },
      /--min-healthy \(10000 ms\) must be shorter than --healthy-deadline \(5000 ms\)/,
    ],
    ['a zero progress deadline', { progressDeadline: 0 }, /must be longer than 0/],
    ['a bad component', { component: 'Demo' }, /component "Demo"/],
    ['a version with spaces', { to: '1.1 .0' }, /--to "1.1 .0" is not a version/],
    ['--canary-soak without canaries', { canarySoak: 60_000 }, /--canary-soak is the wait after the canary batch/],
    ['--canary-soak with --canary 0%', { canary: '0%', canarySoak: 60_000 }, /add --canary <n\|p%> or drop/],
  ])('refuses %s', (_name, over, message) => {
    expect(() => buildRolloutBody('upgrade', flags(over))).toThrow(message);
  });
});

describe(checkRolloutId.name, () => {
  it('accepts a UUID, lower-cased', () => {
    expect(checkRolloutId('0B9F3C1E-8D2A-4E5F-9A6B-7C8D9E0F1A2B')).toBe('0b9f3c1e-8d2a-4e5f-9a6b-7c8d9e0f1a2b');
  });

  it('refuses anything else, pointing at lockstep rollouts', () => {
    expect(() => checkRolloutId('latest')).toThrow(
      '"latest" is not a rollout id; ids are UUIDs, see `lockstep rollouts`',
    );
  });
});
