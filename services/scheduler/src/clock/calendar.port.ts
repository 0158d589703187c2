import { readFileSync } from 'node:fs';

/**
 * The wall-clock time automatic updates go by: schedule runs, maintenance windows and release
 * ages. Separate from the Clock that times soaks and deadlines, so a test can move the calendar
 * by days while rollouts still run in real time.
 */
export interface Calendar {
  now(): Date;
}

export const CALENDAR = Symbol('CALENDAR');

/** The system's time. */
export const systemCalendar: Calendar = { now: () => new Date() };

/**
 * The time written in a file (an ISO 8601 instant), read on every call (it is tiny): how the
 * end-to-end tests move the calendar of real scheduler processes (SCHEDULER_TEST_CALENDAR_FILE).
 * A missing or unreadable file is an error: a test that set it up wrong must not run on real time.
 */
export class FileCalendar implements Calendar {
  constructor(private readonly path: string) {}

  now(): Date {
    const text = readFileSync(this.path, 'utf8').trim();
    const at = new Date(text);
    if (Number.isNaN(at.getTime()))
      throw new Error(`${this.path} holds "${text}", not an ISO 8601 instant such as 2026-03-29T01:00:00Z`);
    return at;
  }
}
