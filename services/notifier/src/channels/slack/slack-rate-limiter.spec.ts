import { SlackRateLimiter, type LimiterClock } from './slack-rate-limiter';

/** A clock that records sleeps instead of waiting. */
const fakeClock = (): LimiterClock & { t: number; sleeps: number[] } => {
  const clock = {
    t: 1_000_000,
    sleeps: [] as number[],
    now: () => clock.t,
    sleep: async (ms: number) => {
      clock.sleeps.push(ms);
    },
  };
  return clock;
};

describe(SlackRateLimiter.name, () => {
  it('spaces messages to one URL a second apart, in call order', async () => {
    const clock = fakeClock();
    const sut = new SlackRateLimiter(1000, clock);

    await Promise.all([
      sut.acquire('https://hooks.slack.com/a'),
      sut.acquire('https://hooks.slack.com/a'),
      sut.acquire('https://hooks.slack.com/a'),
    ]);

    expect(clock.sleeps).toEqual([1000, 2000]);
  });

  it('does not make different URLs wait for each other', async () => {
    const clock = fakeClock();
    const sut = new SlackRateLimiter(1000, clock);

    await sut.acquire('https://hooks.slack.com/a');
    await sut.acquire('https://hooks.slack.com/b');

    expect(clock.sleeps).toEqual([]);
  });

  it('lets a URL send at once after its interval has passed', async () => {
    const clock = fakeClock();
    const sut = new SlackRateLimiter(1000, clock);

    await sut.acquire('u');
    clock.t += 1500;
    await sut.acquire('u');

    expect(clock.sleeps).toEqual([]);
  });

  it('backs off a URL after a 429', async () => {
    const clock = fakeClock();
    const sut = new SlackRateLimiter(1000, clock);

    sut.defer('u', 30_000);
    await sut.acquire('u');

    expect(clock.sleeps).toEqual([30_000]);
  });

  it('forgets idle URLs', async () => {
    const clock = fakeClock();
    const sut = new SlackRateLimiter(1000, clock);
    for (let i = 0; i < 1001; i++) await sut.acquire(`u${i}`);

    clock.t += 5000;
    await sut.acquire('fresh');

    expect(sut.size).toBe(1);
  });

  it('really waits with the system clock and can be aborted', async () => {
    const sut = new SlackRateLimiter(100);
    const controller = new AbortController();
    await sut.acquire('u');
    const started = Date.now();

    await sut.acquire('u');
    const waited = Date.now() - started;
    const aborted = sut.acquire('u', controller.signal);
    controller.abort(new Error('shutdown'));

    expect(waited).toBeGreaterThanOrEqual(90);
    await expect(aborted).rejects.toThrow('shutdown');
  });
});
