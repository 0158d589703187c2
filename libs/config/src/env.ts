import { z } from 'zod';
import { parseDuration } from '@lockstep/contracts';

/** True when `v` parses as a URL whose scheme is one of `protocols`. */
const hasProtocol = (protocols: string[], v: string): boolean => {
  try {
    return protocols.includes(new URL(v).protocol.replace(':', ''));
  } catch {
    return false;
  }
};

/** A comma-separated list, items trimmed, empty ones dropped. */
const commaList = (dflt: string) =>
  z
    .string()
    .default(dflt)
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    );

/**
 * Longest delay Node's timers honour (2^31 − 1 ms, about 24.8 days): setTimeout and
 * setInterval fire a longer one after 1 ms, so an interval that long polls continuously.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** The range a duration setting accepts, both ends included, written as durations (`500ms`, `24h`). */
export interface DurationBounds {
  min: string;
  max: string;
  /**
   * The value never reaches a Node timer (it is compared with timestamps or stored), so `max`
   * may exceed MAX_TIMER_MS. Default false: `max` must fit a timer.
   */
  notATimer?: boolean;
}

/**
 * Parses a setting's bounds once, when its schema is declared; a mistake in them (or a default
 * outside them) is a programming error and throws at import rather than at some user's start.
 */
function resolveBounds(dflt: string, b: DurationBounds): { min: number; max: number; hint: string } {
  const min = parseDuration(b.min);
  const max = parseDuration(b.max);
  if (min === undefined || max === undefined || min > max)
    throw new Error(`duration bounds ${b.min}..${b.max} are not a range of durations`);
  if (!b.notATimer && max > MAX_TIMER_MS)
    throw new Error(`duration bound ${b.max} exceeds what a Node timer can wait (${MAX_TIMER_MS} ms)`);
  const defaults = dflt.split(',').map((d) => parseDuration(d.trim()));
  if (defaults.some((d) => d === undefined || d < min || d > max))
    throw new Error(`default duration ${dflt} is outside its bounds ${b.min}..${b.max}`);
  return { min, max, hint: `from ${b.min} to ${b.max} (units ms, s, m, h, d; e.g. ${dflt})` };
}

/** Builders for common value shapes, each with a message that says what is expected. */
export const env = {
  url: (protocols: string[], dflt?: string) => {
    const s = z.string().refine((v) => hasProtocol(protocols, v), {
      message: `expected a URL starting with ${protocols.map((p) => `${p}://`).join(' or ')}`,
    });
    return dflt === undefined ? s : s.default(dflt);
  },
  urlList: (protocols: string[], dflt: string) =>
    commaList(dflt).refine((list) => list.length > 0 && list.every((v) => hasProtocol(protocols, v)), {
      message: `expected a comma-separated list of ${protocols.map((p) => `${p}://`).join(' or ')} URLs`,
    }),
  port: (dflt: number) =>
    z.coerce
      .number({ message: 'expected a TCP port number 0-65535' })
      .int()
      .min(0, { message: 'expected a TCP port number 0-65535' })
      .max(65535, { message: 'expected a TCP port number 0-65535' })
      .default(dflt),
  int: (dflt: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
    z.coerce
      .number({ message: `expected a whole number ${min}-${max}` })
      .int({ message: `expected a whole number ${min}-${max}` })
      .min(min, { message: `expected a whole number ${min}-${max}` })
      .max(max, { message: `expected a whole number ${min}-${max}` })
      .default(dflt),
  bool: (dflt: boolean) =>
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'expected true or false' })
      .default(dflt ? 'true' : 'false')
      .transform((v) => v === 'true' || v === '1' || v === 'yes'),
  oneOf: <T extends readonly [string, ...string[]]>(values: T, dflt: T[number]) =>
    z.enum(values, { message: `expected one of ${values.join(', ')}` }).default(dflt as never),
  /**
   * Durations like 500ms, 5s, 2m, 1h; parsed to milliseconds and refused outside `bounds`
   * (no setting is unbounded: zero or tiny values make busy loops, huge ones overflow timers).
   */
  duration: (dflt: string, bounds: DurationBounds) => {
    const { min, max, hint } = resolveBounds(dflt, bounds);
    return z
      .string()
      .default(dflt)
      .transform((v, ctx) => {
        const ms = parseDuration(v);
        if (ms === undefined || ms < min || ms > max) {
          ctx.addIssue({ code: 'custom', message: `expected a duration ${hint}` });
          return z.NEVER;
        }
        return ms;
      });
  },
  /** Comma-separated list of durations, e.g. "1s,5s,30s"; each within `bounds`. */
  durationList: (dflt: string, bounds: DurationBounds) => {
    const { min, max, hint } = resolveBounds(dflt, bounds);
    return z
      .string()
      .default(dflt)
      .transform((v, ctx) => {
        const list = v.split(',').map((s) => parseDuration(s.trim()));
        if (list.length === 0 || list.some((x) => x === undefined || x < min || x > max)) {
          ctx.addIssue({
            code: 'custom',
            message: `expected a comma-separated list of durations, each ${hint}`,
          });
          return z.NEVER;
        }
        return list as number[];
      });
  },
  string: (dflt?: string) =>
    dflt === undefined ? z.string().min(1, { message: 'expected a non-empty string' }) : z.string().default(dflt),
  optionalString: () => z.string().optional(),
  list: (dflt: string) => commaList(dflt),
};

/** Parses 500ms / 5s / 2m / 1h / 1d; defined in contracts, re-exported here for config callers. */
export { parseDuration };
