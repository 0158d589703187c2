import { hostname } from 'node:os';
import { z } from 'zod';
import { commonSchema, env, loadConfig, parseDuration, s3Schema } from '@lockstep/config';
import { BackupTypes } from '@lockstep/contracts';
import { MAX_LEASE_SETTING, MIN_LEASE_SETTING } from '@lockstep/fleet-lock';
import { backupSchema } from '@lockstep/backup-jobs';

/** The backup service's settings: the platform's, S3, and what it backs up (BACKUP_*). */
export const backupServiceSchema = z.object({
  ...commonSchema,
  ...s3Schema,
  /** The backup service always uses the object store: its keys are required (no default). */
  S3_ACCESS_KEY: z.string().min(1, { message: 'expected the object store access key (or S3_ACCESS_KEY_FILE)' }),
  S3_SECRET_KEY: z.string().min(1, { message: 'expected the object store secret key (or S3_SECRET_KEY_FILE)' }),
  ...backupSchema,
  /** Component the service's own targets belong to (recorded on each backup). */
  BACKUP_COMPONENT: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]{0,127}$/i, { message: 'expected a component name (letters, digits, ".", "_", "-")' })
    .default('lockstep'),
  /** Name this replica holds repository locks under (shown by `lockstep locks`). */
  BACKUP_REPLICA_ID: z.string().default(`backup@${hostname()}-${process.pid}`),
  /** How long the server waits for an ack of an operation before redelivering it (the worker marks it in progress meanwhile). */
  BACKUP_ACK_WAIT: env.duration('60s', { min: '1s', max: '1h' }),
  /** Take a backup of the service's targets every interval (24h: daily at 00:00 UTC); empty: no schedule. Retention prunes after each. */
  BACKUP_SCHEDULE: z
    .string()
    .default('')
    .transform((v, ctx) => {
      if (!v.trim()) return undefined;
      const ms = parseDuration(v.trim());
      if (ms === undefined || ms < 60_000) {
        ctx.addIssue({
          code: 'custom',
          message: 'expected an interval of at least 1m, like 24h, 6h or 30m (empty: no scheduled backups)',
        });
        return z.NEVER;
      }
      return ms;
    }),
  /** Type of scheduled backups. */
  BACKUP_SCHEDULE_TYPE: env.oneOf(BackupTypes, 'full'),
  /** Lease of the cluster lock bucket, used only when this service creates it. */
  BACKUP_LOCK_LEASE: env.duration('15s', { min: MIN_LEASE_SETTING, max: MAX_LEASE_SETTING }),
});
export type BackupServiceConfig = z.infer<typeof backupServiceSchema>;

export const BACKUP_CONFIG = Symbol('BACKUP_CONFIG');

export const loadBackupConfig = (): BackupServiceConfig => loadConfig('backup', backupServiceSchema);
