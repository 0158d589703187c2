import type { BackupOperationView, BackupRecordV1 } from '@lockstep/contracts';
import type { BackupEntity, BackupOperationEntity } from '@lockstep/persistence';

const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());

/** A catalogue row as `BackupRecordV1` (bigint columns arrive as strings). */
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

/** An operation row as the API shows it (the command it sent stays internal). */
export function toOperationView(o: BackupOperationEntity): BackupOperationView {
  return {
    id: o.id,
    kind: o.kind as BackupOperationView['kind'],
    backupId: o.backupId,
    state: o.state as BackupOperationView['state'],
    step: o.step,
    percent: o.percent,
    message: o.message,
    error: o.error,
    result: o.result,
    requestedAt: iso(o.requestedAt)!,
    startedAt: iso(o.startedAt),
    finishedAt: iso(o.finishedAt),
  };
}
