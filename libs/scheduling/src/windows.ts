import { parseDuration, type MaintenanceWindowSpecV1 } from '@lockstep/contracts';
import type { Cron } from 'croner';
import { cronIn, windowCron } from './cron';

/** Where a maintenance window stands at an instant. */
export interface WindowState {
  /** True when some start s satisfies s <= t < s + duration. */
  open: boolean;
  /** Start of the current opening when open, else of the next one (null if it never opens again). */
  opensAt: Date | null;
  /**
   * When the current (or next) opening closes. Openings that overlap merge; null when more
   * than MAX_CHAIN of them overlap in a row, i.e. the window is in effect always open.
   */
  closesAt: Date | null;
}

/** Most overlapping openings followed, each way, when merging them into one. */
export const MAX_CHAIN = 1000;

function durationMs(spec: MaintenanceWindowSpecV1): number {
  const ms = parseDuration(spec.duration);
  if (!ms)
    throw new Error(`window duration "${spec.duration}" is not a positive duration like 2h; parse the spec first`);
  return ms;
}

/** When the opening that starts at `start` closes, extended while further starts fall inside it. */
function closing(job: Cron, start: Date, ms: number): Date | null {
  let closesAt = start.getTime() + ms;
  let chained = 0;
  for (let next = job.nextRun(start); next && next.getTime() <= closesAt; next = job.nextRun(next)) {
    if (++chained > MAX_CHAIN) return null;
    closesAt = Math.max(closesAt, next.getTime() + ms);
  }
  return new Date(closesAt);
}

/** The first start of the merged opening holding `start`: earlier starts whose opening still reaches it. */
function firstStart(job: Cron, start: Date, ms: number): Date {
  let first = start;
  for (let i = 0; i < MAX_CHAIN; i++) {
    const [prev] = job.previousRuns(1, first);
    if (!prev || prev.getTime() + ms < first.getTime()) break;
    first = prev;
  }
  return first;
}

/**
 * The window's state at `t`. Durations are elapsed time: a 22:00 + 4h window on a DST night
 * closes at 01:00 or 03:00 local, after exactly four hours. Overlapping openings merge.
 */
export function windowAt(spec: MaintenanceWindowSpecV1, t: Date): WindowState {
  const job = cronIn(windowCron(spec), spec.timezone);
  const ms = durationMs(spec);
  // The earliest start in (t - duration, t] (nextRun is strictly after its argument): its
  // opening reaches past t, so the window is open.
  const start = job.nextRun(new Date(t.getTime() - ms));
  if (!start || start > t) return nextOpening(spec, t);
  return { open: true, opensAt: firstStart(job, start, ms), closesAt: closing(job, start, ms) };
}

/** The next opening strictly after `t` (open is false), or nulls when the pattern never matches again. */
export function nextOpening(spec: MaintenanceWindowSpecV1, t: Date): WindowState {
  const job = cronIn(windowCron(spec), spec.timezone);
  const start = job.nextRun(t);
  return { open: false, opensAt: start, closesAt: start && closing(job, start, durationMs(spec)) };
}
