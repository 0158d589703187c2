import type { ScheduleSpecV1 } from '@lockstep/contracts';
import { runKey, runsBetween } from '@lockstep/scheduling';

/** A stored schedule, with where its recorded runs end. */
export interface ScheduleFacts {
  id: string;
  name: string;
  spec: ScheduleSpecV1;
  /** Due instant of its latest recorded run (fired or skipped); null before the first. */
  lastDueAt: Date | null;
  /** When a replica first evaluated it (by the calendar); its runs start after this. */
  firstSeenAt: Date;
}

/** What a missed run becomes (setting schedule.missed_runs). */
export type MissedRuns = 'run-once' | 'skip';

export interface RunPlan {
  /** The run to fire now, if any. */
  fire?: { key: string; dueAt: Date; late: boolean };
  /** Runs that will never fire, recorded as one `skipped-missed` row at the latest of them. */
  skipped?: { key: string; dueAt: Date; count: number; first: Date };
}

/**
 * Which of a schedule's runs up to `now` fire and which are skipped. A run is on time while
 * `now` is within `graceMs` of it (a replica ticks every few seconds); one further back was
 * missed while no replica ran. The latest missed run fires once on recovery when the setting
 * says run-once and it is younger than `catchUpLimitMs`; every other missed run is skipped, so
 * nothing is ever repeated. A schedule with no recorded run starts where a replica first saw
 * it: its first run is the first one due after that, never one of the days before.
 */
export function planRuns(
  schedule: ScheduleFacts,
  now: Date,
  opts: { graceMs: number; missed: MissedRuns; catchUpLimitMs: number },
): RunPlan {
  const from =
    schedule.lastDueAt && schedule.lastDueAt > schedule.firstSeenAt ? schedule.lastDueAt : schedule.firstSeenAt;
  const due = runsBetween(schedule.spec, from, now);
  if (due.length === 0) return {};
  const latest = due[due.length - 1];
  const late = now.getTime() - latest.getTime() > opts.graceMs;
  const fireLatest = !late || (opts.missed === 'run-once' && now.getTime() - latest.getTime() <= opts.catchUpLimitMs);
  const skippedRuns = fireLatest ? due.slice(0, -1) : due;
  const plan: RunPlan = {};
  if (fireLatest) plan.fire = { key: runKey(schedule.id, latest), dueAt: latest, late };
  if (skippedRuns.length) {
    const last = skippedRuns[skippedRuns.length - 1];
    plan.skipped = { key: runKey(schedule.id, last), dueAt: last, count: skippedRuns.length, first: skippedRuns[0] };
  }
  return plan;
}
