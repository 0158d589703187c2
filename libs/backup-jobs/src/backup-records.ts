import type { BackupManifest, BackupStats } from '@lockstep/backup-engine';
import type { BackupRecordV1 } from '@lockstep/contracts';

/** A catalogue entry in status `creating`, with nothing measured yet. */
export function newBackupRecord(
  b: Pick<
    BackupRecordV1,
    'id' | 'type' | 'trigger' | 'component' | 'componentVersion' | 'nodeId' | 'encrypted' | 'createdAt'
  > & { rolloutId?: string | null; description?: string; compress?: boolean },
): BackupRecordV1 {
  return {
    id: b.id,
    type: b.type,
    trigger: b.trigger,
    status: 'creating',
    component: b.component,
    componentVersion: b.componentVersion,
    nodeId: b.nodeId,
    rolloutId: b.rolloutId ?? null,
    description: b.description ?? '',
    encrypted: b.encrypted,
    compressed: b.compress !== false,
    sizeBytes: 0,
    storedBytes: 0,
    uploadedBytes: 0,
    files: 0,
    packs: 0,
    durationMs: 0,
    error: null,
    corruptedPacks: [],
    createdAt: b.createdAt,
    completedAt: null,
    verifiedAt: null,
  };
}

/** What the catalogue knew of a backup before it committed (kept when completing it from its manifest). */
export function pickIdentity(b: BackupRecordV1): Partial<BackupRecordV1> {
  return {
    type: b.type,
    trigger: b.trigger,
    component: b.component,
    componentVersion: b.componentVersion,
    nodeId: b.nodeId,
    rolloutId: b.rolloutId,
    description: b.description,
    createdAt: b.createdAt,
    compressed: b.compressed,
  };
}

/** The catalogue entry of a committed backup, from its manifest and run figures. */
export function completedRecord(
  base: BackupRecordV1,
  m: BackupManifest,
  stats: BackupStats,
  now: Date,
): BackupRecordV1 {
  return {
    ...base,
    status: 'completed',
    error: null,
    sizeBytes: stats.sizeBeforeCompression,
    storedBytes: stats.sizeAfterCompression,
    uploadedBytes: stats.bytesUploaded,
    files: m.entries.filter((e) => e.type === 'file' || e.type === 'database').length,
    packs: m.packs.length,
    durationMs: stats.durationMs,
    completedAt: now.toISOString(),
  };
}

/** A backup a verify or restore found damaged: `problem` says what, `packs` names the damaged packs (none for a damaged manifest). */
export function corruptedRecord(b: BackupRecordV1, problem: string, packs: string[], now: Date): BackupRecordV1 {
  return { ...b, status: 'corrupted', error: problem, corruptedPacks: packs, verifiedAt: now.toISOString() };
}
