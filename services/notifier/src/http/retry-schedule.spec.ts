import { InvalidRetryScheduleError, nextAttemptDelay, RetrySchedule } from './retry-schedule';

describe(RetrySchedule.name, () => {
  it('parses the setting syntax into milliseconds', () => {
    const sut = RetrySchedule.parse('5s, 30s,2m,10m,1h');

    expect(sut.steps).toEqual([5_000, 30_000, 120_000, 600_000, 3_600_000]);
    expect(sut.maxAttempts).toBe(6);
  });

  it('widens each window by the jitter but never below the previous upper bound', () => {
    const sut = RetrySchedule.of([1000, 1050, 5000], { jitter: 0.1 });

    expect(sut.windows).toEqual([
      [900, 1100],
      [1100, 1155],
      [4500, 5500],
    ]);
  });

  it.each([
    ['', /empty/],
    ['5s,soon', /"soon" is not a duration/],
    ['30s,5s', /step 2 \(5000 ms\) is shorter than step 1/],
    ['0s', /not a positive duration/],
  ])('rejects %j naming the setting', (setting, problem) => {
    const act = () => RetrySchedule.parse(setting);

    expect(act).toThrow(InvalidRetryScheduleError);
    expect(act).toThrow(/NOTIFIER_RETRY_SCHEDULE/);
    expect(act).toThrow(problem);
  });

  it('rejects a jitter outside [0, 1)', () => {
    expect(() => RetrySchedule.of([1000], { jitter: 1 })).toThrow(/jitter/);
  });
});

describe(nextAttemptDelay.name, () => {
  const almostOne = 1 - 1e-9;
  const schedule = RetrySchedule.parse('5s,30s,2m,10m,1h');

  it.each([
    // attempt, random, expected delay (ms)
    [1, 0, 4_500],
    [1, 0.5, 5_000],
    [1, almostOne, 5_500],
    [2, 0, 27_000],
    [3, 0.5, 120_000],
    [5, 0, 3_240_000],
    [5, almostOne, 3_960_000],
  ])('after attempt %i with random %d waits %i ms', (attempt, random, expected) => {
    expect(nextAttemptDelay(attempt, schedule, undefined, () => random)).toBe(expected);
  });

  it.each([
    ['smallest', () => 0],
    ['largest', () => almostOne],
    [
      'alternating',
      (() => {
        let i = 0;
        return () => (i++ % 2 ? 0 : almostOne);
      })(),
    ],
    ['random', Math.random],
  ])('produces growing gaps with %s draws, even for crowded steps', (_name, random) => {
    const crowded = RetrySchedule.of([1000, 1050, 1100, 1200, 5000, 5100]);

    const delays = crowded.steps.map((_s, i) => nextAttemptDelay(i + 1, crowded, undefined, random)!);

    for (let i = 1; i < delays.length; i++) expect(delays[i]).toBeGreaterThanOrEqual(delays[i - 1]);
  });

  it('returns undefined once the schedule is exhausted', () => {
    expect(nextAttemptDelay(6, schedule)).toBeUndefined();
    expect(nextAttemptDelay(6, schedule, 1000)).toBeUndefined();
  });

  it.each([
    ['a larger Retry-After wins', 60_000, 60_000],
    ['a smaller Retry-After is ignored', 1_000, 5_000],
    ['a huge Retry-After is capped', 86_400_000, 600_000],
  ])('%s', (_name, retryAfterMs, expected) => {
    const sut = RetrySchedule.parse('5s,30s', { jitter: 0, maxRetryAfterMs: 600_000 });

    expect(nextAttemptDelay(1, sut, retryAfterMs)).toBe(expected);
  });

  it.each([0, -1, 1.5])('rejects attempt number %d', (attempt) => {
    expect(() => nextAttemptDelay(attempt, schedule)).toThrow(RangeError);
  });
});
