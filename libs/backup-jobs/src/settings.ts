import { z } from 'zod';
import { env } from '@lockstep/config';
import { isAbsolute } from 'node:path';

const absoluteDirs = z
  .string()
  .default('')
  .transform((v, ctx) => {
    const dirs = v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    for (const d of dirs) {
      if (!isAbsolute(d)) {
        ctx.addIssue({
          code: 'custom',
          message: `expected absolute directory paths separated by commas; ${JSON.stringify(d)} is relative`,
        });
        return z.NEVER;
      }
    }
    return dirs;
  });

const postgresUrls = z
  .string()
  .default('')
  .transform((v, ctx) => {
    const urls = v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    for (const u of urls) {
      let ok: boolean;
      try {
        ok = ['postgres:', 'postgresql:'].includes(new URL(u).protocol);
      } catch {
        ok = false;
      }
      if (!ok) {
        ctx.addIssue({
          code: 'custom',
          message: 'expected postgres:// URLs separated by commas, e.g. postgres://app@db:5432/app',
        });
        return z.NEVER;
      }
    }
    return urls;
  });

const optionalDuration = z
  .string()
  .default('')
  .transform((v, ctx) => {
    if (!v.trim()) return undefined;
    const m = /^(\d+)\s*(m|h|d|w)$/.exec(v.trim());
    if (!m) {
      ctx.addIssue({ code: 'custom', message: 'expected an age like 90d, 12w, 48h or 30m (empty for no limit)' });
      return z.NEVER;
    }
    const unit = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2] as 'm' | 'h' | 'd' | 'w'];
    return Number(m[1]) * unit;
  });

/**
 * Backup settings shared by the backup service and the node agent: where the repository
 * is, its key, what to back up and what to keep. Paths are absolute; lists are comma-separated.
 */
export const backupSchema = {
  /** Bucket of the backup repository (shared by every node and the backup service). */
  BACKUP_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{2,62}$/, {
      message: 'expected an S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)',
    })
    .default('lockstep-backups'),
  /** Passphrase of the repository; a new repository is encrypted (AES-256-GCM) when set. Never logged. */
  BACKUP_KEY: z.string().optional(),
  /** Configuration directories (backup types full and config). */
  BACKUP_CONFIG_PATHS: absoluteDirs,
  /** Data directories (backup types full and data_only). */
  BACKUP_DATA_PATHS: absoluteDirs,
  /** Log directories, included only when asked (--include-logs). */
  BACKUP_LOG_PATHS: absoluteDirs,
  /** Glob patterns left out of every directory, e.g. `*.tmp,cache/**`. */
  BACKUP_EXCLUDES: env.list(''),
  /** PostgreSQL databases dumped with pg_dump (backup types full and database). */
  BACKUP_DATABASE_URLS: postgresUrls,
  /** Retention: keep at most this many backups per component, node and backup type (0: no count limit). */
  BACKUP_KEEP_LAST: env.int(0),
  /** Retention: drop backups older than this (90d, 12w; empty: no age limit). */
  BACKUP_MAX_AGE: optionalDuration,
  /** Retention: also keep the newest backup of each of the last N days / ISO weeks / months. */
  BACKUP_KEEP_DAILY: env.int(0),
  BACKUP_KEEP_WEEKLY: env.int(0),
  BACKUP_KEEP_MONTHLY: env.int(0),
  /** How long a backup waits for a running prune before failing. */
  BACKUP_LOCK_WAIT: env.duration('60s', { min: '1s', max: '24h' }),
};

/** Parsed backup settings. */
export type BackupSettings = z.infer<z.ZodObject<typeof backupSchema>>;
