import { z } from 'zod';

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
  /** Durations like 500ms, 5s, 2m, 1h; parsed to milliseconds. */
  duration: (dflt: string) =>
    z
      .string()
      .default(dflt)
      .transform((v, ctx) => {
        const ms = parseDuration(v);
        if (ms === undefined) {
          ctx.addIssue({ code: 'custom', message: 'expected a duration like 500ms, 5s, 2m or 1h' });
          return z.NEVER;
        }
        return ms;
      }),
  /** Comma-separated list of durations, e.g. "1s,5s,30s". */
  durationList: (dflt: string) =>
    z
      .string()
      .default(dflt)
      .transform((v, ctx) => {
        const list = v.split(',').map((s) => parseDuration(s.trim()));
        if (list.length === 0 || list.some((x) => x === undefined)) {
          ctx.addIssue({ code: 'custom', message: 'expected a comma-separated list of durations like 1s,5s,30s,2m' });
          return z.NEVER;
        }
        return list as number[];
      }),
  string: (dflt?: string) =>
    dflt === undefined ? z.string().min(1, { message: 'expected a non-empty string' }) : z.string().default(dflt),
  optionalString: () => z.string().optional(),
  list: (dflt: string) => commaList(dflt),
};

/** Parses 500ms / 5s / 2m / 1h / 1d (or a bare number of milliseconds). */
export function parseDuration(v: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(v.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2] ?? 'ms';
  const mult = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit]!;
  return Math.round(n * mult);
}
