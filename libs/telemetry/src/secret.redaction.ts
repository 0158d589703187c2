/** What replaces a secret in logs, span statuses and exception events. */
export const REDACTED = '[REDACTED]';

/**
 * Text patterns that carry secrets, with what to keep around the masked part. They are
 * applied to finished JSON log lines too, so no pattern may match across a `"` or
 * swallow half of a JSON escape, and every replacement keeps the string valid JSON.
 */
const SECRET_PATTERNS: ReadonlyArray<{ name: string; pattern: RegExp; replacement: string }> = [
  // Standard Webhooks signing secrets: whsec_<base64>.
  { name: 'webhook-secret', pattern: /whsec_[A-Za-z0-9+/=_-]+/g, replacement: `whsec_${REDACTED}` },
  // scheme://user:password@host: keep the user, mask the password.
  {
    name: 'url-password',
    pattern: /\b([a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^\s:/?#@"'\\]*):[^\s@/?#"'\\]+@/g,
    replacement: `$1:${REDACTED}@`,
  },
  // Lockstep API tokens (lst_…), so a token pasted into a message or an error never reaches a log.
  { name: 'api-token', pattern: /\blst_[A-Za-z0-9_-]{8,}/g, replacement: `lst_${REDACTED}` },
  // Slack incoming-webhook and workflow URLs and Discord webhook URLs (with or without an API
  // version) are bearer secrets in their path.
  {
    name: 'slack-webhook',
    pattern: /(hooks\.slack\.com\/(?:services|triggers|workflows)\/)[A-Za-z0-9_/-]+/g,
    replacement: `$1${REDACTED}`,
  },
  {
    name: 'discord-webhook',
    pattern: /(discord(?:app)?\.com\/api\/(?:v\d+\/)?webhooks\/\d+\/)[A-Za-z0-9_.-]+/g,
    replacement: `$1${REDACTED}`,
  },
  // libpq key=value connection strings: password=secret or password='quoted secret'.
  {
    name: 'libpq-password',
    pattern: /\b(password\s*=\s*)(?:'(?:[^'\\"]|\\\\')*'|[^\s'"\\&;]+)/gi,
    replacement: `$1${REDACTED}`,
  },
  // Query parameters that are credentials, including S3 presigned-URL signatures.
  {
    name: 'credential-query-param',
    pattern:
      /([?&](?:token|access_token|api_key|apikey|secret|password|sig|signature|X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token)=)[^&\s"'\\#]+/gi,
    replacement: `$1${REDACTED}`,
  },
  // NKey seeds (SU… user, SA… account, SO… operator…): 58 base32 characters, the private key itself.
  { name: 'nkey-seed', pattern: /\bS[UAONCXP][A-Z2-7]{56}\b/g, replacement: REDACTED },
  // Authorization header values written out as text.
  { name: 'auth-scheme', pattern: /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g, replacement: `$1 ${REDACTED}` },
];

/**
 * Masks secrets inside free text: `whsec_…` webhook secrets, `lst_…` API tokens, URL passwords
 * (`postgres://user:***@host`), libpq `password=` strings, NKey seeds, Slack/Discord webhook URLs,
 * credential query parameters and Bearer/Basic credentials. Use it on anything headed for logs, spans or error rows.
 */
export function redactSecrets(text: string): string {
  let out = text;
  for (const { pattern, replacement } of SECRET_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/** Object keys whose values are never logged, at any depth of a log object (compared case- and `_`/`-`-insensitively). */
export const REDACTED_KEYS = [
  'password',
  'pgpassword',
  'secrets',
  'xApiKey',
  'setCookie',
  'LOCKSTEP_SECRET_KEY',
  'LOCKSTEP_SECRET_KEY_PREVIOUS',
  'S3_ACCESS_KEY',
  'targetSealed',
  'passwd',
  'secret',
  'token',
  'authorization',
  'cookie',
  'apiKey',
  'accessToken',
  'refreshToken',
  'clientSecret',
  'secretKey',
  'secretAccessKey',
  'privateKey',
  'webhookSecret',
  'signingSecret',
  'connectionString',
  'passphrase',
  'BACKUP_KEY',
  'S3_SECRET_KEY',
  // NATS credentials: the settings, and nats.js' own option names (`pass`, `token` above).
  'NATS_PASSWORD',
  'NATS_TOKEN',
  'pass',
  'seed',
] as const;

/** pino redact paths: every {@link REDACTED_KEYS} key at depth 0–2, plus header names that are not identifiers. */
export const REDACT_PATHS: readonly string[] = [
  ...REDACTED_KEYS,
  ...REDACTED_KEYS.map((k) => `*.${k}`),
  ...REDACTED_KEYS.map((k) => `*.*.${k}`),
  'headers["x-api-key"]',
  '*.headers["x-api-key"]',
  'headers["set-cookie"]',
  '*.headers["set-cookie"]',
];

const normalizeKey = (key: string): string => key.toLowerCase().replace(/[_-]/g, '');
const SECRET_KEYS = new Set<string>(REDACTED_KEYS.map(normalizeKey));

/** True when values under this object key are secrets (`password`, `Authorization`, `secrets`, `S3_SECRET_KEY`…). */
export function isSecretKey(key: string): boolean {
  return SECRET_KEYS.has(normalizeKey(key));
}

const MAX_DEPTH = 12;

/**
 * A copy of a value to be logged with the value of every secret key ({@link isSecretKey}) replaced
 * by {@link REDACTED}, at any depth. Shares untouched branches with the input and never changes
 * it. Errors, dates and buffers are kept as they are (their text goes through {@link redactSecrets}).
 */
export function redactSecretKeys<T>(value: T): T {
  return redactDeep(value, 0, new WeakSet()) as T;
}

function redactDeep(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return value;
  if (value instanceof Error || value instanceof Date || Buffer.isBuffer(value) || ArrayBuffer.isView(value))
    return value;
  if (seen.has(value)) return value;
  seen.add(value);
  if (Array.isArray(value)) {
    const items = value as unknown[];
    let copy: unknown[] | undefined;
    items.forEach((item, i) => {
      const next = redactDeep(item, depth + 1, seen);
      if (next !== item) (copy ??= [...items])[i] = next;
    });
    return copy ?? value;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return value;
  let copy: Record<string, unknown> | undefined;
  for (const [key, item] of Object.entries(value)) {
    const next = isSecretKey(key) ? REDACTED : redactDeep(item, depth + 1, seen);
    if (next !== item) (copy ??= { ...(value as Record<string, unknown>) })[key] = next;
  }
  return copy ?? value;
}
