import { Cron } from 'croner';
import { z } from 'zod';
import { PositiveDuration } from './duration';

/** Weekday names a weekly schedule or a maintenance window accepts, Monday first. */
export const Weekdays = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
/** One weekday name. */
export type Weekday = (typeof Weekdays)[number];

/** Kinds of schedule: fixed-time daily/weekly/monthly, or a cron expression. */
export const ScheduleTypes = ['daily', 'weekly', 'monthly', 'custom'] as const;
/** One schedule kind. */
export type ScheduleType = (typeof ScheduleTypes)[number];

/** True when the runtime knows `name` as an IANA time zone (e.g. Europe/Berlin, UTC). */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** croner's complaint about a cron pattern, or undefined when croner accepts it. */
export function cronProblem(pattern: string): string | undefined {
  try {
    new Cron(pattern, { paused: true });
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** An IANA time zone name. */
export const TimeZoneSchema = z
  .string()
  .refine(isTimeZone, { message: 'must be an IANA time zone name, e.g. Europe/Berlin, America/New_York or UTC' });

/** A wall-clock time HH:MM, 24-hour. */
export const TimeOfDaySchema = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, { message: 'must be a 24-hour time HH:MM, e.g. 03:00 or 22:30' });

/** A cron expression croner accepts (5, 6 or 7 fields); the message is croner's. */
export const CronSchema = z.string().superRefine((v, ctx) => {
  const problem = cronProblem(v);
  if (problem) ctx.addIssue({ code: 'custom', message: `${problem} (e.g. "0 3 * * sun")` });
});

const WEEKDAY_MESSAGE = `must be a weekday name: ${Weekdays.join(', ')}`;
const DAY_OF_MONTH_MESSAGE = 'a day of the month is 1..31';
const WeekdaySchema = z.enum(Weekdays, { message: WEEKDAY_MESSAGE });
const DayOfMonthSchema = z
  .number()
  .int({ message: DAY_OF_MONTH_MESSAGE })
  .min(1, { message: DAY_OF_MONTH_MESSAGE })
  .max(31, { message: DAY_OF_MONTH_MESSAGE });
/** A weekday name or a day of the month; a bad one says which it was read as (not zod's bare "Invalid input"). */
const ScheduleDaySchema = z.union([WeekdaySchema, DayOfMonthSchema], {
  error: (issue) =>
    typeof issue.input === 'number'
      ? DAY_OF_MONTH_MESSAGE
      : `${WEEKDAY_MESSAGE} (weekly), or a day of the month 1..31 (monthly)`,
});

/** The messages of a failed union's branch for the input's kind, each with its path (`days.0: …`). */
function branchMessages(
  issue: { input?: unknown; errors?: Array<Array<{ path: PropertyKey[]; message: string }>> },
  branch: number,
): string | undefined {
  const issues = issue.errors?.[branch];
  if (!issues?.length) return undefined;
  return issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');
}

/** The fields of a schedule spec, for bodies that carry them flat beside their own (see CreateScheduleBody). */
export const ScheduleSpecFields = {
  /** daily, weekly (days = weekday names), monthly (days = 1..31) or custom (cron). */
  type: z.enum(ScheduleTypes, { message: `must be one of ${ScheduleTypes.join(', ')}` }),
  /** Local time HH:MM; required unless custom. */
  time: TimeOfDaySchema.optional(),
  /** Weekday names for weekly, days of the month for monthly. */
  days: z.array(ScheduleDaySchema).optional(),
  /** Cron expression for custom; minute-level (5 fields) or with seconds (6 fields). */
  cron: z.string().optional(),
  /** IANA time zone the time, days and cron are read in. */
  timezone: TimeZoneSchema,
};

/** The rules between a schedule's fields (which type needs time, days or cron), as zod issues on `ctx`. */
export function checkScheduleFields(
  spec: { type: ScheduleType; time?: string; days?: Array<Weekday | number>; cron?: string },
  ctx: z.RefinementCtx,
): void {
  const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
  if (spec.type === 'custom') {
    if (spec.cron === undefined) issue('cron', 'a custom schedule needs a cron expression, e.g. "0 3 * * sun"');
    else {
      const problem = cronProblem(spec.cron);
      if (problem) issue('cron', problem);
    }
    if (spec.time !== undefined || spec.days !== undefined)
      issue('type', 'a custom schedule takes its time and days from cron; drop time and days');
    return;
  }
  if (spec.cron !== undefined) issue('cron', `cron is only for type custom, not ${spec.type}`);
  if (spec.time === undefined) issue('time', `a ${spec.type} schedule needs a time HH:MM, e.g. 03:00`);
  const days = spec.days ?? [];
  if (spec.type === 'daily' && spec.days !== undefined)
    issue('days', 'a daily schedule runs every day; drop days or use type weekly');
  if (spec.type === 'weekly' && (days.length === 0 || days.some((d) => typeof d !== 'string')))
    issue('days', `a weekly schedule needs days as weekday names, e.g. ["sun"] (${Weekdays.join(', ')})`);
  if (spec.type === 'monthly' && (days.length === 0 || days.some((d) => typeof d !== 'number')))
    issue('days', 'a monthly schedule needs days of the month 1..31, e.g. [1, 15]');
}

/**
 * When automatic updates run. `time` and `days` are wall-clock values in `timezone`; the
 * runs themselves are instants (see @lockstep/scheduling for DST rules).
 */
export const ScheduleSpecV1 = z.strictObject(ScheduleSpecFields).superRefine(checkScheduleFields);
/** A parsed schedule specification. */
export type ScheduleSpecV1 = z.infer<typeof ScheduleSpecV1>;

/** A positive duration such as 30m, 2h or 1d (one grammar with policies: see DurationWithUnit). */
export const DurationSchema = PositiveDuration;

/** A window start given as weekdays plus a local time instead of a cron expression. */
export const WindowStartV1 = z.strictObject({
  /** Weekdays the window opens on; every day when absent. */
  days: z
    .array(WeekdaySchema)
    .min(1, { message: 'list at least one weekday, or leave days out for every day' })
    .optional(),
  /** Local time HH:MM the window opens. */
  time: TimeOfDaySchema,
});
/** A parsed window start. */
export type WindowStartV1 = z.infer<typeof WindowStartV1>;

/** A recurring maintenance window: opens at each start and stays open for `duration` of real time. */
export const MaintenanceWindowSpecV1 = z.strictObject({
  /** A cron expression, or weekdays plus a time. */
  start: z.union([CronSchema, WindowStartV1], {
    error: (issue) =>
      (typeof issue.input === 'string' ? branchMessages(issue, 0) : undefined) ??
      (typeof issue.input === 'object' && issue.input !== null ? branchMessages(issue, 1) : undefined) ??
      'must be a cron expression (e.g. "0 22 * * sat") or weekdays plus a time ({ days: ["sat"], time: "22:00" })',
  }),
  /** How long the window stays open (elapsed time, so a DST change does not stretch it). */
  duration: DurationSchema,
  /** IANA time zone the start is read in. */
  timezone: TimeZoneSchema,
});
/** A parsed maintenance window specification. */
export type MaintenanceWindowSpecV1 = z.infer<typeof MaintenanceWindowSpecV1>;
