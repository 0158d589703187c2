import { randomBytes } from 'node:crypto';

/** What a backup id may look like: letters, digits, `.`, `_` and `-`, at most 128, starting with a letter or digit. */
export const BACKUP_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** `backup_YYYYMMDD_HHMMSS_xxxx` in UTC, with a random suffix against collisions. */
export function generateBackupId(at: Date): string {
  const s = at.toISOString().replace(/[-:]/g, '').replace('T', '_').slice(0, 15);
  return `backup_${s}_${randomBytes(2).toString('hex')}`;
}
