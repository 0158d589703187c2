import { z } from 'zod';
import { commonSchema, env, loadConfig, secretKeyListSetting, secretKeySetting } from '@lockstep/config';

/** Notifier settings. */
export const notifierSchema = z.object({
  ...commonSchema,
  /** Waits between delivery attempts, e.g. "5s,30s,2m,10m,1h"; n steps allow n+1 attempts. */
  NOTIFIER_RETRY_SCHEDULE: env.durationList('5s,30s,2m,10m,30m,1h,3h,6h', { min: '100ms', max: '24d' }),
  /** Non-public destinations that may be contacted: keywords (loopback, private, link-local…) or CIDRs. */
  NOTIFIER_ALLOWED_DESTINATIONS: z.string().default(''),
  /** Whole-attempt deadline. */
  NOTIFIER_TIMEOUT: env.duration('10s', { min: '100ms', max: '10m' }),
  /** Attempts in flight at once per process. */
  NOTIFIER_CONCURRENCY: env.int(32, 1, 1024),
  /** How often the worker looks for due deliveries when nothing wakes it. */
  NOTIFIER_POLL_INTERVAL: env.duration('500ms', { min: '50ms', max: '10m' }),
  /** How long a worker holds a claimed delivery before another may take it over. */
  NOTIFIER_LEASE: env.duration('2m', { min: '1s', max: '24h' }),
  /** Key that seals subscription secrets at rest (32 bytes, base64 or hex; or LOCKSTEP_SECRET_KEY_FILE). */
  LOCKSTEP_SECRET_KEY: secretKeySetting(),
  /** Keys secrets may still be sealed under while `lockstep secrets rotate` re-seals them (comma-separated). */
  LOCKSTEP_SECRET_KEY_PREVIOUS: secretKeyListSetting(),
});
export type NotifierConfig = z.infer<typeof notifierSchema>;

export const loadNotifierConfig = (): NotifierConfig => loadConfig('notifier', notifierSchema);
export const NOTIFIER_CONFIG = Symbol('NOTIFIER_CONFIG');
