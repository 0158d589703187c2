import { z } from 'zod';
import { commonSchema, env, loadConfig, s3Schema } from '@lockstep/config';
import { parseOnlineKeySet, type TufOnlineKeySet } from '@lockstep/releases';
import { AllowList } from '@lockstep/net-guard';

/** LOCKSTEP_TUF_ONLINE_KEYS: the online key file's JSON (usually given as LOCKSTEP_TUF_ONLINE_KEYS_FILE). */
const onlineKeys = z
  .string()
  .optional()
  .transform((v, ctx): TufOnlineKeySet | undefined => {
    if (v === undefined || v.trim() === '') return undefined;
    try {
      return parseOnlineKeySet(v, 'the online key file');
    } catch (err) {
      ctx.addIssue({
        code: 'custom',
        message: `${(err as Error).message}. Point LOCKSTEP_TUF_ONLINE_KEYS_FILE at the lockstep-tuf-online-keys.json that \`lockstep keys init\` wrote`,
      });
      return z.NEVER;
    }
  });

/** Name of the setting listing non-public addresses release sources may be fetched from. */
export const CHECKER_ALLOWED_DESTINATIONS = 'CHECKER_ALLOWED_DESTINATIONS';

/** Checker settings. */
export const checkerSchema = z.object({
  ...commonSchema,
  ...s3Schema,
  /** How often every component's source is polled. */
  CHECKER_INTERVAL: env.duration('5m', { min: '1s', max: '24d' }),
  /** Deadline of one source check (download and verification included). */
  CHECKER_TIMEOUT: env.duration('2m', { min: '1s', max: '1h' }),
  /** Non-public destinations (keywords such as loopback, private, or CIDRs) release sources may be fetched from. */
  CHECKER_ALLOWED_DESTINATIONS: z
    .string()
    .default('')
    .transform((v, ctx) => {
      try {
        return AllowList.parse(v, CHECKER_ALLOWED_DESTINATIONS);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    }),
  /** Poll once right after start. */
  CHECKER_CHECK_ON_START: env.bool(true),
  /**
   * Snapshot and timestamp keys (the online key file `lockstep keys init` writes). With them the
   * checker re-signs every s3-mode TUF repository's timestamp on CHECKER_TUF_REFRESH_INTERVAL;
   * without them metadata expires a day after the last publish (warned by release.metadata_expiring).
   */
  LOCKSTEP_TUF_ONLINE_KEYS: onlineKeys,
  /** How often the timestamp is re-signed; well inside its one-day validity. */
  CHECKER_TUF_REFRESH_INTERVAL: env.duration('6h', { min: '1s', max: '23h' }),
  /** How long before root or targets metadata expires release.metadata_expiring is sent. */
  CHECKER_TUF_EXPIRY_WARNING: env.duration('7d', { min: '1h', max: '365d', notATimer: true }),
});
export type CheckerConfig = z.infer<typeof checkerSchema>;
export const loadCheckerConfig = (): CheckerConfig => loadConfig('checker', checkerSchema);
export const CHECKER_CONFIG = Symbol('CHECKER_CONFIG');
