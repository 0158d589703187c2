import { z } from 'zod';
import { commonSchema, env, loadConfig, s3Schema } from '@lockstep/config';

/** Checker settings. */
export const checkerSchema = z.object({
  ...commonSchema,
  ...s3Schema,
  /** How often every component's source is polled. */
  CHECKER_INTERVAL: env.duration('5m'),
  /** Deadline of one source check (download and verification included). */
  CHECKER_TIMEOUT: env.duration('2m'),
  /** Poll once right after start. */
  CHECKER_CHECK_ON_START: env.bool(true),
});
export type CheckerConfig = z.infer<typeof checkerSchema>;
export const loadCheckerConfig = (): CheckerConfig => loadConfig('checker', checkerSchema);
export const CHECKER_CONFIG = Symbol('CHECKER_CONFIG');
