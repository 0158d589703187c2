import type { RetentionPolicy } from '@lockstep/backup-engine';
import type { SettingsSource } from '@lockstep/persistence';
import type { BackupServiceConfig } from '../backup.config';

/**
 * What a prune keeps, read when it runs: `backup.keep_last` when an operator set it (`lockstep
 * settings set`, no restart), else BACKUP_KEEP_LAST, and the other BACKUP_KEEP_* / BACKUP_MAX_AGE
 * limits of the config. A limit of 0 is left out (no limit).
 */
export async function retentionPolicy(c: BackupServiceConfig, settings: SettingsSource): Promise<RetentionPolicy> {
  const keepLast = (await settings.override('backup.keep_last')) ?? c.BACKUP_KEEP_LAST;
  return {
    keepLast: keepLast || undefined,
    maxAgeMs: c.BACKUP_MAX_AGE,
    keepDaily: c.BACKUP_KEEP_DAILY || undefined,
    keepWeekly: c.BACKUP_KEEP_WEEKLY || undefined,
    keepMonthly: c.BACKUP_KEEP_MONTHLY || undefined,
  };
}

/** Whether a policy limits anything (none: scheduled backups are not followed by a prune). */
export const retainsSelectively = (p: RetentionPolicy): boolean => Object.values(p).some((v) => v !== undefined);
