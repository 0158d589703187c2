import type { ScheduleSpecV1 } from '@lockstep/contracts';
import { cronIn, toCron } from './cron';

/** Most runs runsBetween returns, so a schedule that was down for years cannot flood a caller. */
export const MAX_RUNS_BETWEEN = 1000;

/** The next `n` runs strictly after `after`, earliest first, as UTC instants. */
export function nextRuns(spec: ScheduleSpecV1, after: Date, n: number): Date[] {
  return cronIn(toCron(spec), spec.timezone).nextRuns(n, after);
}

/** The first run strictly after `t`, or null when the pattern never matches again. */
export function nextRunAfter(spec: ScheduleSpecV1, t: Date): Date | null {
  return cronIn(toCron(spec), spec.timezone).nextRun(t);
}

/**
 * Runs due in (from, to]: after the last recorded run `from`, up to and including `to` (now).
 * Used to find runs missed while every replica was down. At most `limit` runs, earliest first.
 */
export function runsBetween(spec: ScheduleSpecV1, from: Date, to: Date, limit = MAX_RUNS_BETWEEN): Date[] {
  const job = cronIn(toCron(spec), spec.timezone);
  const runs: Date[] = [];
  for (let next = job.nextRun(from); next && next <= to && runs.length < limit; next = job.nextRun(next))
    runs.push(next);
  return runs;
}

/**
 * A run's identity: the schedule id and the run's UTC instant (ISO 8601, millisecond precision).
 * Deterministic, so a unique key on it makes firing exactly-once across replicas.
 */
export function runKey(scheduleId: string, instant: Date): string {
  return `${scheduleId}@${instant.toISOString()}`;
}
