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
  // Slack and Discord incoming-webhook URLs are bearer secrets in their path.
  { name: 'slack-webhook', pattern: /(hooks\.slack\.com\/services\/)[A-Za-z0-9_/-]+/g, replacement: `$1${REDACTED}` },
  {
    name: 'discord-webhook',
    pattern: /(discord(?:app)?\.com\/api\/webhooks\/\d+\/)[A-Za-z0-9_.-]+/g,
    replacement: `$1${REDACTED}`,
  },
  // Query parameters that are credentials, including S3 presigned-URL signatures.
  {
    name: 'credential-query-param',
    pattern:
      /([?&](?:token|access_token|api_key|apikey|secret|password|sig|signature|X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token)=)[^&\s"'\\#]+/gi,
    replacement: `$1${REDACTED}`,
  },
  // Authorization header values written out as text.
  { name: 'auth-scheme', pattern: /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g, replacement: `$1 ${REDACTED}` },
];

/**
 * Masks secrets inside free text: `whsec_…` webhook secrets, URL passwords
 * (`postgres://user:***@host`), Slack/Discord webhook URLs, credential query parameters
 * and Bearer/Basic credentials. Use it on anything headed for logs, spans or error rows.
 */
export function redactSecrets(text: string): string {
  let out = text;
  for (const { pattern, replacement } of SECRET_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/** Object keys whose values are never logged, at any of the first three levels of a log object. */
export const REDACTED_KEYS = [
  'password',
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
