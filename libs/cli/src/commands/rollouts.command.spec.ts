import type { RolloutStrategyV1 } from '@lockstep/contracts';
import { rolloutStrategy } from '../testing/rollout-fixtures';
import { describeStrategy } from './rollouts.command';

const strategy = (over: Partial<RolloutStrategyV1>): RolloutStrategyV1 =>
  rolloutStrategy({ maxParallel: 2, pauseBetweenBatchesMs: 30_000, ...over });

describe(describeStrategy.name, () => {
  it.each([
    ['a canary soak', { canarySoakMs: 600_000 }, /canary 1, canary-soak 10m, min-healthy/],
    ['no canary soak stored (older rollouts)', {}, /canary 1, min-healthy/],
    ['no canary batch', { canary: 0, canarySoakMs: 30_000 }, /canary 0, min-healthy/],
  ])('shows the strategy as flags with %s', (_name, over, shown) => {
    expect(describeStrategy(strategy(over))).toMatch(shown);
  });
});
