import { CodedError } from '@lockstep/contracts';
import { createHmac, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';

/** Prefix of Standard Webhooks secrets. */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';
/** Key sizes Standard Webhooks recommends, in bytes. */
export const WEBHOOK_SECRET_MIN_BYTES = 24;
export const WEBHOOK_SECRET_MAX_BYTES = 64;

/** Error codes of webhook signing. */
export const WebhookSignatureErrorCode = { InvalidSecret: 'WEBHOOK_SECRET_INVALID' } as const;
export type WebhookSignatureErrorCode = (typeof WebhookSignatureErrorCode)[keyof typeof WebhookSignatureErrorCode];

/** A webhook secret is malformed. The message never contains the secret. */
export class InvalidWebhookSecretError extends CodedError<typeof WebhookSignatureErrorCode.InvalidSecret> {
  override name = 'InvalidWebhookSecretError';
  constructor(problem: string) {
    super(
      WebhookSignatureErrorCode.InvalidSecret,
      `webhook secret ${problem}; expected whsec_ followed by base64 of ${WEBHOOK_SECRET_MIN_BYTES}–${WEBHOOK_SECRET_MAX_BYTES} random bytes, as generateWebhookSecret() makes`,
    );
  }
}

/** A new random secret, `whsec_` + base64 of `bytes` random bytes (default 32). */
export function generateWebhookSecret(bytes = 32): string {
  if (bytes < WEBHOOK_SECRET_MIN_BYTES || bytes > WEBHOOK_SECRET_MAX_BYTES) {
    throw new RangeError(
      `secret size must be ${WEBHOOK_SECRET_MIN_BYTES}–${WEBHOOK_SECRET_MAX_BYTES} bytes, got ${bytes}`,
    );
  }
  return WEBHOOK_SECRET_PREFIX + randomBytes(bytes).toString('base64');
}

/** True when `secret` is a well-formed `whsec_` secret of an accepted size. */
export function isWebhookSecret(secret: unknown): secret is string {
  if (typeof secret !== 'string' || !secret.startsWith(WEBHOOK_SECRET_PREFIX)) return false;
  const b64 = secret.slice(WEBHOOK_SECRET_PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0) return false;
  const size = Buffer.from(b64, 'base64').length;
  return size >= WEBHOOK_SECRET_MIN_BYTES && size <= WEBHOOK_SECRET_MAX_BYTES;
}

// Decoded keys by secret string. Bounded: secrets of deleted subscriptions age out.
const KEY_CACHE_MAX = 4096;
const keyCache = new Map<string, KeyObject>();

function keyOf(secret: string): KeyObject {
  let key = keyCache.get(secret);
  if (key) return key;
  if (!isWebhookSecret(secret)) throw new InvalidWebhookSecretError('is not a valid whsec_ secret');
  key = createSecretKey(Buffer.from(secret.slice(WEBHOOK_SECRET_PREFIX.length), 'base64'));
  if (keyCache.size >= KEY_CACHE_MAX) keyCache.delete(keyCache.keys().next().value as string);
  keyCache.set(secret, key);
  return key;
}

/**
 * The `webhook-signature` header value of Standard Webhooks: for each secret, `v1,` + base64
 * HMAC-SHA256 over `${msgId}.${timestamp}.${body}`, space-separated. Pass the current secret
 * and, during rotation, the previous one(s); receivers accept any matching signature.
 * Decoded keys are cached, and the body is hashed in place (no concatenated copy).
 *
 * @param timestampSeconds Unix seconds, identical to the `webhook-timestamp` header.
 * @throws InvalidWebhookSecretError
 */
export function signWebhook(
  secrets: readonly string[],
  msgId: string,
  timestampSeconds: number,
  body: string | Buffer,
): string {
  const prefix = `${msgId}.${timestampSeconds}.`;
  let header = '';
  for (const secret of secrets) {
    const mac = createHmac('sha256', keyOf(secret)).update(prefix).update(body).digest('base64');
    header = header ? `${header} v1,${mac}` : `v1,${mac}`;
  }
  return header;
}
