import { CodedError } from '@lockstep/contracts';
import { parseDuration } from '@lockstep/config';

/** Name of the setting holding the retry schedule. */
export const RETRY_SCHEDULE_SETTING = 'NOTIFIER_RETRY_SCHEDULE';

/** Error codes of retry schedule parsing. */
export const RetryScheduleErrorCode = { Invalid: 'RETRY_SCHEDULE_INVALID' } as const;
export type RetryScheduleErrorCode = (typeof RetryScheduleErrorCode)[keyof typeof RetryScheduleErrorCode];

/** The retry schedule setting is malformed. */
export class InvalidRetryScheduleError extends CodedError<typeof RetryScheduleErrorCode.Invalid> {
  override name = 'InvalidRetryScheduleError';
  constructor(setting: string, problem: string, options?: { cause?: unknown }) {
    super(
      RetryScheduleErrorCode.Invalid,
      `${setting}: ${problem}; expected growing durations separated by commas, such as 5s,30s,2m,10m,1h (units ms, s, m, h, d; a bare number is ms)`,
      options,
    );
  }
}

/** Tuning of a schedule besides its steps. */
export interface RetryScheduleOptions {
  /** Relative jitter around each step, 0 ≤ jitter < 1. Default 0.1 (±10 %). */
  jitter?: number;
  /** Upper bound applied to a receiver's Retry-After. Default 1 hour. */
  maxRetryAfterMs?: number;
  /** Setting name used in error messages. */
  setting?: string;
}

/**
 * The delays between attempts: step i is the wait after attempt i+1 failed, so a schedule of
 * n steps allows n+1 attempts. Each step gets a jitter window [lo, hi] with
 * hi = step × (1 + jitter) and lo = max(step × (1 − jitter), previous hi). Because every window
 * starts where the previous one ends, jittered gaps never shrink from one retry to the next,
 * even when two steps are close; the price is a narrower window for such steps.
 */
export class RetrySchedule {
  /** Step durations in milliseconds, non-decreasing. */
  readonly steps: readonly number[];
  /** Jitter window per step, in milliseconds. */
  readonly windows: ReadonlyArray<readonly [lo: number, hi: number]>;
  /** Cap on a receiver's Retry-After. */
  readonly maxRetryAfterMs: number;

  private constructor(steps: readonly number[], options: RetryScheduleOptions) {
    const setting = options.setting ?? RETRY_SCHEDULE_SETTING;
    const jitter = options.jitter ?? 0.1;
    if (!(jitter >= 0 && jitter < 1))
      throw new InvalidRetryScheduleError(setting, `jitter ${jitter} is outside [0, 1)`);
    if (steps.length === 0) throw new InvalidRetryScheduleError(setting, 'the schedule is empty');
    steps.forEach((step, i) => {
      if (!Number.isFinite(step) || step <= 0)
        throw new InvalidRetryScheduleError(setting, `step ${i + 1} (${step} ms) is not a positive duration`);
      if (i > 0 && step < steps[i - 1])
        throw new InvalidRetryScheduleError(
          setting,
          `step ${i + 1} (${step} ms) is shorter than step ${i} (${steps[i - 1]} ms)`,
        );
    });
    this.steps = [...steps];
    let previousHi = 0;
    this.windows = steps.map((step) => {
      const hi = Math.round(step * (1 + jitter));
      const lo = Math.max(Math.round(step * (1 - jitter)), previousHi);
      previousHi = hi;
      return [lo, hi] as const;
    });
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 3_600_000;
  }

  /** Parses a setting such as `"5s,30s,2m,10m,1h"` (same duration syntax as @lockstep/config). @throws InvalidRetryScheduleError */
  static parse(setting: string, options: RetryScheduleOptions = {}): RetrySchedule {
    const name = options.setting ?? RETRY_SCHEDULE_SETTING;
    const steps = setting
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean)
      .map((token) => {
        const ms = parseDuration(token);
        if (ms === undefined) throw new InvalidRetryScheduleError(name, `"${token}" is not a duration`);
        return ms;
      });
    return new RetrySchedule(steps, options);
  }

  /** Builds a schedule from step durations in milliseconds. @throws InvalidRetryScheduleError */
  static of(stepsMs: readonly number[], options: RetryScheduleOptions = {}): RetrySchedule {
    return new RetrySchedule(stepsMs, options);
  }

  /** Attempts allowed in total: the first one plus one per step. */
  get maxAttempts(): number {
    return this.steps.length + 1;
  }
}

/**
 * Delay before the next attempt, after attempt number `attemptNumber` (1-based) failed; undefined
 * when the schedule is exhausted (the delivery should be dead-lettered). The delay is drawn
 * uniformly from the step's jitter window using `random` (0 ≤ random() < 1). A receiver's
 * `retryAfterMs`, capped at schedule.maxRetryAfterMs, replaces the delay when it is larger.
 */
export function nextAttemptDelay(
  attemptNumber: number,
  schedule: RetrySchedule,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number | undefined {
  if (!Number.isInteger(attemptNumber) || attemptNumber < 1)
    throw new RangeError(`attemptNumber must be a positive integer, got ${attemptNumber}`);
  const window = schedule.windows[attemptNumber - 1];
  if (!window) return undefined;
  const [lo, hi] = window;
  const delay = Math.round(lo + (hi - lo) * random());
  if (retryAfterMs === undefined || !(retryAfterMs > delay)) return delay;
  return Math.max(delay, Math.min(retryAfterMs, schedule.maxRetryAfterMs));
}
