import { z } from 'zod';

/**
 * Parses 500ms / 5s / 2m / 1h / 1d (or a bare number of milliseconds). Lives in contracts so
 * that wire shapes (maintenance windows) and config share one grammar; @lockstep/config
 * re-exports it.
 */
export function parseDuration(v: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(v.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2] ?? 'ms';
  const mult = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit]!;
  return Math.round(n * mult);
}

const durationExpected = 'expected a duration with a unit, like 0s, 30m, 12h or 3d';

/**
 * A duration written with its unit on the wire (`30m`, `12h`, `3d`: what parseDuration reads,
 * the unit required, unlike settings where a bare number means milliseconds). A pattern rather
 * than a refinement so a published JSON Schema carries it.
 */
export const DurationWithUnit = z
  .string({ error: durationExpected })
  .regex(/^\d+(\.\d+)?(ms|s|m|h|d)$/, { error: durationExpected })
  .describe('a duration with a unit: ms, s, m, h or d (e.g. 30m, 3d)');

/** A positive DurationWithUnit such as 30m, 2h or 1d (a window's length). */
export const PositiveDuration = DurationWithUnit.refine((v) => (parseDuration(v) ?? 0) > 0, {
  message: 'must be a positive duration with a unit, e.g. 30m, 2h or 1d',
});
