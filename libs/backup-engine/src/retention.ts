import { BackupEngineError, BackupErrorCode } from './errors';

/** One backup as retention sees it. */
export interface RetentionCandidate {
  id: string;
  createdAt: Date;
  /** Backups are judged per group (e.g. component + node + type); groups never affect each other. */
  group: string;
  /** A pinned backup is always kept. */
  pinned?: boolean;
}

/**
 * What to keep. Every limit is optional, and 0 means the same as unset (so settings such
 * as `BACKUP_KEEP_LAST=0`, "no count limit", map over directly).
 */
export interface RetentionPolicy {
  /** Keep at most this many of the newest backups (combined with maxAgeMs: both must hold). */
  keepLast?: number;
  /** Keep only backups younger than this, in milliseconds (combined with keepLast). */
  maxAgeMs?: number;
  /** Also keep the newest backup of each of the last N UTC days that have backups. */
  keepDaily?: number;
  /** Also keep the newest backup of each of the last N ISO weeks (UTC) that have backups. */
  keepWeekly?: number;
  /** Also keep the newest backup of each of the last N UTC months that have backups. */
  keepMonthly?: number;
}

/** The verdict for every candidate, in input order. */
export interface RetentionPlan {
  /** Backups to keep, each with every reason that keeps it. */
  keep: { id: string; reasons: string[] }[];
  /** Backups to delete, each with why no rule keeps it. */
  remove: { id: string; reason: string }[];
}

type Limit = keyof RetentionPolicy;

const DAY_MS = 86_400_000;

/**
 * Decides which backups a retention policy keeps; pure (no clock, no I/O), `now` is given.
 *
 * Each group is judged on its own, newest first (ties broken by id). A backup is kept when
 * at least one of these holds:
 * - **recent**: it is among the newest `keepLast` of its group AND younger than `maxAgeMs`
 *   (`now - createdAt < maxAgeMs`). An unset limit does not restrict; when both are unset
 *   this rule keeps nothing (the calendar rules alone decide).
 * - **calendar**: it is the newest backup of one of the `keepDaily` most recent UTC days that
 *   have a backup in its group; likewise `keepWeekly` for ISO weeks (Monday to Sunday, UTC)
 *   and `keepMonthly` for UTC months. Days without backups do not use up the count.
 * - **pinned**: `pinned` is true.
 * - **newest**: it is the newest backup of its group, so a group never loses its last backup.
 *
 * With no limit set at all (all unset or 0), every backup is kept. Throws
 * BackupEngineError(InvalidRequest) for a negative or fractional limit, an invalid date or a
 * repeated id.
 */
export function selectRetention(backups: RetentionCandidate[], policy: RetentionPolicy, now: Date): RetentionPlan {
  const limits = normalize(policy);
  const seen = new Set<string>();
  for (const b of backups) {
    if (seen.has(b.id)) throw invalid(`backup ${b.id} is listed twice; list each backup once.`);
    seen.add(b.id);
    if (!(b.createdAt instanceof Date) || Number.isNaN(b.createdAt.getTime()))
      throw invalid(`backup ${b.id} has no valid creation time; fix its catalogue entry before applying retention.`);
  }
  const reasons = new Map<string, string[]>(backups.map((b) => [b.id, []]));
  const keepFor = (id: string, reason: string): void => void reasons.get(id)!.push(reason);
  const noLimits = Object.values(limits).every((v) => v === undefined);
  const recentRule = limits.keepLast !== undefined || limits.maxAgeMs !== undefined;

  const failures = new Map<string, string[]>();
  const groups = new Map<string, RetentionCandidate[]>();
  for (const b of backups) {
    const members = groups.get(b.group);
    if (members) members.push(b);
    else groups.set(b.group, [b]);
  }
  for (const members of groups.values()) {
    const sorted = [...members].sort(
      (a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0),
    );
    keepFor(sorted[0].id, 'newest of its group');
    for (const [rank, b] of sorted.entries()) {
      if (b.pinned) keepFor(b.id, 'pinned');
      if (noLimits) keepFor(b.id, 'no retention limits set');
      if (!recentRule) continue;
      const failed: string[] = [];
      if (limits.keepLast !== undefined && rank >= limits.keepLast)
        failed.push(`not among the newest ${limits.keepLast}`);
      if (limits.maxAgeMs !== undefined && now.getTime() - b.createdAt.getTime() >= limits.maxAgeMs)
        failed.push(`not younger than ${formatCompactDuration(limits.maxAgeMs)}`);
      if (failed.length === 0) keepFor(b.id, recentReason(limits));
      else failures.set(b.id, failed);
    }
    keepCalendar(sorted, limits.keepDaily, (d) => d.toISOString().slice(0, 10), 'day', keepFor);
    keepCalendar(sorted, limits.keepWeekly, isoWeek, 'week', keepFor);
    keepCalendar(sorted, limits.keepMonthly, (d) => d.toISOString().slice(0, 7), 'month', keepFor);
  }

  const out: RetentionPlan = { keep: [], remove: [] };
  for (const b of backups) {
    const why = reasons.get(b.id)!;
    if (why.length > 0) out.keep.push({ id: b.id, reasons: why });
    else out.remove.push({ id: b.id, reason: [...(failures.get(b.id) ?? []), ...calendarFailure(limits)].join('; ') });
  }
  return out;
}

/** Keeps the newest backup of each of the `count` most recent buckets (days, weeks, months) that hold one. */
function keepCalendar(
  sortedNewestFirst: RetentionCandidate[],
  count: number | undefined,
  bucketOf: (d: Date) => string,
  unit: string,
  keepFor: (id: string, reason: string) => void,
): void {
  if (count === undefined) return;
  const buckets = new Set<string>();
  for (const b of sortedNewestFirst) {
    const bucket = bucketOf(b.createdAt);
    if (buckets.has(bucket)) continue;
    if (buckets.size === count) return;
    buckets.add(bucket);
    keepFor(b.id, `newest of ${unit} ${bucket}`);
  }
}

/** ISO 8601 week of a UTC date, e.g. `2025-W01` (the week holding the year's first Thursday). */
export function isoWeek(d: Date): string {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  t.setUTCDate(t.getUTCDate() + 4 - (t.getUTCDay() || 7)); // the Thursday of this week decides its year
  const year = t.getUTCFullYear();
  const week = Math.floor((t.getTime() - Date.UTC(year, 0, 1)) / DAY_MS / 7) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}

function normalize(policy: RetentionPolicy): RetentionPolicy {
  const out: RetentionPolicy = {};
  for (const key of [
    'keepLast',
    'keepDaily',
    'keepWeekly',
    'keepMonthly',
    'maxAgeMs',
  ] as const satisfies readonly Limit[]) {
    const v = policy[key];
    if (v === undefined || v === 0) continue;
    const integer = key !== 'maxAgeMs';
    if (typeof v !== 'number' || Number.isNaN(v) || v < 0 || (integer && !Number.isInteger(v))) {
      throw invalid(
        `retention ${key} must be ${integer ? 'a whole number' : 'a number of milliseconds'} of 0 or more (0 or unset: no limit), got ${String(v)}; fix the retention settings.`,
      );
    }
    out[key] = v;
  }
  return out;
}

function recentReason(limits: RetentionPolicy): string {
  const parts = [
    limits.keepLast !== undefined && `among the newest ${limits.keepLast}`,
    limits.maxAgeMs !== undefined && `younger than ${formatCompactDuration(limits.maxAgeMs)}`,
  ];
  return parts.filter(Boolean).join(' and ');
}

function calendarFailure(limits: RetentionPolicy): string[] {
  const calendar = [
    limits.keepDaily !== undefined && `${limits.keepDaily} day(s)`,
    limits.keepWeekly !== undefined && `${limits.keepWeekly} week(s)`,
    limits.keepMonthly !== undefined && `${limits.keepMonthly} month(s)`,
  ].filter(Boolean);
  return calendar.length > 0
    ? [`not the newest of its day/week/month within the last ${calendar.join(', ')} with backups`]
    : [];
}

/** 30d, 12h, 45m, 10s or 1500ms: the largest unit that divides the value. */
export function formatCompactDuration(ms: number): string {
  if (!Number.isFinite(ms)) return 'forever';
  for (const [unit, size] of [
    ['d', DAY_MS],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const)
    if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

function invalid(message: string): BackupEngineError {
  return new BackupEngineError(BackupErrorCode.InvalidRequest, message);
}
