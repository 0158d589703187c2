import type { Clock } from '../clock/clock.port';

interface Sleeper {
  at: number;
  seq: number;
  resolve: () => void;
}

/** Lets every pending promise callback run: after this, the code under test waits on a timer or on I/O. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A clock for unit specs: time stands still until the spec moves it. `run` drives code that
 * waits only on this clock (and on fakes that answer with promises) to its end, jumping from
 * one sleep's end to the next, so a rollout that soaks for an hour finishes in milliseconds.
 */
export class ManualClock implements Clock {
  private t: number;
  private seq = 0;
  private sleepers: Sleeper[] = [];

  constructor(start = Date.parse('2026-01-01T00:00:00Z')) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const sleeper: Sleeper = { at: this.t + Math.max(0, ms), seq: this.seq++, resolve };
      this.sleepers.push(sleeper);
      signal?.addEventListener(
        'abort',
        () => {
          this.sleepers = this.sleepers.filter((s) => s !== sleeper);
          resolve();
        },
        { once: true },
      );
    });
  }

  /** Moves time forward by `ms`, ending each sleep due on the way in order and letting its waiter run. */
  async advance(ms: number): Promise<void> {
    const until = this.t + ms;
    for (;;) {
      await settle();
      const next = this.nextSleeper();
      if (!next || next.at > until) break;
      this.wakeSleeper(next);
    }
    this.t = until;
    await settle();
  }

  /**
   * Runs `work` to its end, moving time to the next sleep's end whenever everything waits on the
   * clock. Fails when `work` waits on something else, or would need more than `limitMs` of clock time.
   */
  async run<T>(work: Promise<T>, limitMs = 24 * 3_600_000): Promise<T> {
    let done = false;
    const result = work.finally(() => (done = true));
    result.catch(() => undefined);
    const limit = this.t + limitMs;
    for (;;) {
      await settle();
      if (done) return result;
      const next = this.nextSleeper();
      if (!next) throw new Error('the code under test waits on something other than the clock');
      if (next.at > limit) throw new Error(`the code under test would still run after ${limitMs} ms of clock time`);
      this.wakeSleeper(next);
    }
  }

  private nextSleeper(): Sleeper | undefined {
    return [...this.sleepers].sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
  }

  private wakeSleeper(s: Sleeper): void {
    this.sleepers = this.sleepers.filter((x) => x !== s);
    this.t = Math.max(this.t, s.at);
    s.resolve();
  }
}
