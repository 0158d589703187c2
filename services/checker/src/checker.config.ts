import { z } from 'zod';
import { commonSchema, env, loadConfig, s3Schema } from '@lockstep/config';
import { AllowList } from '@lockstep/net-guard';

/** Name of the setting listing non-public addresses release sources may be fetched from. */
export const CHECKER_ALLOWED_DESTINATIONS = 'CHECKER_ALLOWED_DESTINATIONS';

/** Checker settings. */
export const checkerSchema = z.object({
  ...commonSchema,
  ...s3Schema,
  /** How often every component's source is polled. */
  CHECKER_INTERVAL: env.duration('5m'),
  /** Deadline of one source check (download and verification included). */
  CHECKER_TIMEOUT: env.duration('2m'),
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
});
export type CheckerConfig = z.infer<typeof checkerSchema>;
export const loadCheckerConfig = (): CheckerConfig => loadConfig('checker', checkerSchema);
export const CHECKER_CONFIG = Symbol('CHECKER_CONFIG');
