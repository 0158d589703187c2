import { createHash } from 'node:crypto';
import type { BackupOperationCommandV1, BackupType } from '@lockstep/contracts';

/** One scheduled slot: the backup it takes and, when retention is set, the prune after it. */
export interface ScheduledSlot {
  create: Extract<BackupOperationCommandV1, { kind: 'create' }>;
  prune?: Extract<BackupOperationCommandV1, { kind: 'prune' }>;
}

/** A UUID (version-4 layout) derived from text, so every replica names a slot's operations alike. */
export function uuidFrom(text: string): string {
  const h = createHash('sha256').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h.slice(16, 17), 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** `backup_YYYYMMDD_HHMMSS` of an instant (UTC). */
export const scheduledName = (at: Date): string =>
  `backup_${at.toISOString().replace(/[-:]/g, '').replace('T', '_').slice(0, 15)}`;

/**
 * The slot `now` falls in, for a schedule of one backup every `intervalMs` (slots start at
 * multiples of the interval since the epoch, e.g. every day at 00:00 UTC for 24h). Operation
 * ids derive from the namespace and the slot start, so replicas that schedule the same slot
 * record it once (the second insert finds the name taken).
 */
export function slotAt(
  now: Date,
  o: { intervalMs: number; namespace: string; type: BackupType; prune: boolean },
): ScheduledSlot {
  const start = new Date(Math.floor(now.getTime() / o.intervalMs) * o.intervalMs);
  const key = `${o.namespace}:schedule:${start.toISOString()}`;
  return {
    create: {
      kind: 'create',
      operationId: uuidFrom(`${key}:create`),
      backupId: scheduledName(start),
      type: o.type,
      description: `scheduled every ${o.intervalMs / 1000} s`,
      includeLogs: false,
      compress: true,
      trigger: 'schedule',
    },
    ...(o.prune ? { prune: { kind: 'prune', operationId: uuidFrom(`${key}:prune`), dryRun: false } } : {}),
  };
}
