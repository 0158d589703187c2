import { Injectable } from '@nestjs/common';
import type { BackupRecordV1, BackupStatus } from '@lockstep/contracts';
import { BackupEntity, ComponentEntity, toBackupRecord } from '@lockstep/persistence';
import { DataSource, type EntityManager } from 'typeorm';

/** Order of statuses: a change is kept only when it moves forward (see {@link BackupCatalogue.record}). */
const RANK: Record<BackupStatus, number> = {
  creating: 0,
  completed: 1,
  failed: 1,
  verified: 2,
  corrupted: 2,
  pruned: 3,
};

function toEntity(r: BackupRecordV1): Partial<BackupEntity> {
  return {
    id: r.id,
    type: r.type,
    trigger: r.trigger,
    status: r.status,
    component: r.component,
    componentVersion: r.componentVersion,
    nodeId: r.nodeId,
    rolloutId: r.rolloutId,
    description: r.description,
    encrypted: r.encrypted,
    compressed: r.compressed,
    sizeBytes: String(r.sizeBytes),
    storedBytes: String(r.storedBytes),
    uploadedBytes: String(r.uploadedBytes),
    files: r.files,
    packs: r.packs,
    durationMs: r.durationMs,
    error: r.error,
    corruptedPacks: r.corruptedPacks,
    createdAt: new Date(r.createdAt),
    completedAt: r.completedAt ? new Date(r.completedAt) : null,
    verifiedAt: r.verifiedAt ? new Date(r.verifiedAt) : null,
    updatedAt: new Date(),
  };
}

/**
 * Whether `next` may replace `current`. Changes arrive out of order (events are redelivered,
 * a node and the service may both report): a status only moves forward — creating, then
 * completed or failed (the first outcome wins), then verified or corrupted (the latest
 * verification wins), then pruned. The entry's node never changes.
 */
export function supersedes(current: BackupRecordV1 | undefined, next: BackupRecordV1): boolean {
  if (!current) return true;
  // A backup's node never changes: a node's agent announces only its own node's backups (on
  // its own subject), so a change naming another node than the entry is someone else's claim.
  if ((current.nodeId ?? null) !== (next.nodeId ?? null)) return false;
  const a = RANK[current.status];
  const b = RANK[next.status];
  if (b !== a) return b > a;
  if (b === 2) return (next.verifiedAt ?? '') > (current.verifiedAt ?? '');
  return false;
}

/** The backup catalogue in Postgres. */
@Injectable()
export class BackupCatalogue {
  constructor(private readonly ds: DataSource) {}

  /** Records a change when it moves the entry forward; returns whether it did. */
  async record(next: BackupRecordV1): Promise<boolean> {
    return this.ds.transaction(async (m) => {
      const row = await m
        .getRepository(BackupEntity)
        .createQueryBuilder('b')
        .setLock('pessimistic_write')
        .where('b.id = :id', { id: next.id })
        .getOne();
      const current = row ? toBackupRecord(row) : undefined;
      if (!supersedes(current, next)) return false;
      await this.write(m, next, Boolean(row));
      return true;
    });
  }

  private async write(m: EntityManager, r: BackupRecordV1, exists: boolean): Promise<void> {
    if (exists) await m.update(BackupEntity, { id: r.id }, toEntity(r));
    else await m.insert(BackupEntity, toEntity(r));
  }

  /** The version the component runs now, as the checker and rollouts keep it (null when unknown or not registered). */
  async componentVersion(component: string): Promise<string | null> {
    return (await this.ds.getRepository(ComponentEntity).findOneBy({ name: component }))?.currentVersion ?? null;
  }

  async get(id: string): Promise<BackupRecordV1 | undefined> {
    const row = await this.ds.getRepository(BackupEntity).findOneBy({ id });
    return row ? toBackupRecord(row) : undefined;
  }

  /** Every entry, oldest first (retention works on these). */
  async all(): Promise<BackupRecordV1[]> {
    return (await this.ds.getRepository(BackupEntity).find({ order: { createdAt: 'ASC' } })).map(toBackupRecord);
  }
}
