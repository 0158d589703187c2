import { Cron } from 'croner';
import type { MaintenanceWindowSpecV1, ScheduleSpecV1, TimeOfDaySchema } from '@lockstep/contracts';
import type { z } from 'zod';

/** `HH:MM` as cron's minute and hour fields, without leading zeros. */
function minuteHour(time: z.infer<typeof TimeOfDaySchema>): string {
  const [h, m] = time.split(':').map(Number);
  return `${m} ${h}`;
}

/**
 * The croner pattern (5 fields) for a parsed schedule. daily/weekly/monthly patterns hold a
 * single minute and hour, so croner treats them as fixed-time jobs: a time skipped by DST runs
 * at the first valid time after the gap, a repeated time runs once, at its first occurrence.
 */
export function toCron(spec: ScheduleSpecV1): string {
  switch (spec.type) {
    case 'custom':
      return spec.cron!;
    case 'daily':
      return `${minuteHour(spec.time!)} * * *`;
    case 'weekly':
      return `${minuteHour(spec.time!)} * * ${spec.days!.join(',')}`;
    case 'monthly':
      return `${minuteHour(spec.time!)} ${spec.days!.join(',')} * *`;
  }
}

/** The croner pattern a maintenance window opens on. */
export function windowCron(spec: MaintenanceWindowSpecV1): string {
  if (typeof spec.start === 'string') return spec.start;
  return `${minuteHour(spec.start.time)} * * ${spec.start.days?.join(',') ?? '*'}`;
}

/** A paused croner job (never fires, only computes instants) reading `pattern` in `timezone`. */
export function cronIn(pattern: string, timezone: string): Cron {
  return new Cron(pattern, { timezone, paused: true });
}
