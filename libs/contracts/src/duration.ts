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
