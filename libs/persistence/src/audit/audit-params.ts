import { REDACTED, REDACTED_KEYS, redactSecrets } from '@lockstep/telemetry';

/** Keys whose values never enter an audit record (compared case-insensitively), besides the log redaction's. */
const SECRET_KEYS = new Set(
  [...REDACTED_KEYS, 'secrets', 'signingSecrets', 'bootstrapToken', 'apiToken', 'bearer', 'sealed'].map((k) =>
    k.toLowerCase(),
  ),
);

/** Keys holding destination URLs, whose path may be a bearer secret (Slack, Discord, webhook tokens). */
const URL_KEYS = new Set(['url', 'webhookurl', 'destination', 'endpoint'].map((k) => k.toLowerCase()));

const MAX_DEPTH = 8;

/**
 * An audit record's parameters with secrets removed: values under secret keys become
 * `[REDACTED]`, destination URLs keep only their origin, and every other string goes through
 * the log redaction (webhook secrets, Slack/Discord URLs, URL passwords, Bearer values).
 * A `token` that is an integer is a lock's fencing token (not a secret) and is kept.
 */
export function scrubAuditParams(params: Record<string, unknown>): Record<string, unknown> {
  return scrub(params, 0) as Record<string, unknown>;
}

function scrub(value: unknown, depth: number): unknown {
  if (typeof value === 'string')
    return redactSecrets(value).replaceAll(String.fromCharCode(0), ''); /* jsonb refuses NUL */
  if (value === null || typeof value !== 'object') return typeof value === 'bigint' ? String(value) : value;
  if (value instanceof Date) return value.toISOString();
  if (depth >= MAX_DEPTH) return REDACTED;
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (v === undefined || typeof v === 'function') continue;
    const key = k.toLowerCase();
    if (key === 'token' && Number.isSafeInteger(v))
      out[k] = v; // a lock's fencing token, not a credential
    else if (SECRET_KEYS.has(key)) out[k] = v === null ? null : REDACTED;
    else if (URL_KEYS.has(key) && typeof v === 'string') out[k] = urlOrigin(v);
    else out[k] = scrub(v, depth + 1);
  }
  return out;
}

function urlOrigin(url: string): string {
  try {
    const origin = new URL(url).origin;
    return origin === 'null' ? REDACTED : `${origin}/${REDACTED}`;
  } catch {
    return REDACTED;
  }
}
