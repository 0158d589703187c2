/**
 * Parses an HTTP `Retry-After` value: delay-seconds (`120`, leniently `1.5`) or an HTTP-date
 * (`Wed, 21 Oct 2015 07:28:00 GMT`). Returns milliseconds from `nowMs` (never negative), or
 * undefined when the header is absent or unparsable.
 */
export function parseRetryAfter(value: string | string[] | undefined, nowMs = Date.now()): number | undefined {
  const raw = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!raw) return undefined;
  if (/^\d+(\.\d+)?$/.test(raw)) return Math.ceil(Number(raw) * 1000);
  // Only date forms: a bare number was handled above, and Date.parse accepts odd things like "1".
  if (!/[a-z]/i.test(raw)) return undefined;
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/**
 * Reads Discord's rate-limit body, `{"retry_after": 1.234, ...}` (seconds as a float, API v10),
 * and returns milliseconds; undefined when the body is not such JSON.
 */
export function parseRetryAfterBody(body: string | undefined): number | undefined {
  if (!body || !body.includes('retry_after')) return undefined;
  try {
    const value = (JSON.parse(body) as { retry_after?: unknown }).retry_after;
    return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.ceil(value * 1000) : undefined;
  } catch {
    return undefined;
  }
}
