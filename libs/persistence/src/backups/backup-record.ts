import type { BackupRecordV1 } from '@lockstep/contracts';
import type { BackupEntity } from '../entities';

const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());

/** A catalogue row as `BackupRecordV1`, the wire view (bigint columns arrive as strings). */
export function toBackupRecord(b: BackupEntity): BackupRecordV1 {
  return {
    id: b.id,
    type: b.type as BackupRecordV1['type'],
    trigger: b.trigger as BackupRecordV1['trigger'],
    status: b.status as BackupRecordV1['status'],
    component: b.component,
    componentVersion: b.componentVersion,
    nodeId: b.nodeId,
    rolloutId: b.rolloutId,
    description: b.description,
    encrypted: b.encrypted,
    compressed: b.compressed,
    sizeBytes: Number(b.sizeBytes),
    storedBytes: Number(b.storedBytes),
    uploadedBytes: Number(b.uploadedBytes),
    files: b.files,
    packs: b.packs,
    durationMs: b.durationMs,
    error: b.error,
    corruptedPacks: b.corruptedPacks ?? [],
    createdAt: iso(b.createdAt)!,
    completedAt: iso(b.completedAt),
    verifiedAt: iso(b.verifiedAt),
  };
}
