import { Injectable } from '@nestjs/common';
import type { AuditActor, BackupOperationCommandV1, BackupSince, BackupSort } from '@lockstep/contracts';
import {
  BackupEntity,
  BackupOperationEntity,
  enqueueBackupOperation,
  type BackupNameTaken,
} from '@lockstep/persistence';
import { DataSource } from 'typeorm';

/** The filter of a backup list. */
export interface BackupFilter {
  type?: string;
  status?: string;
  node?: string;
  /** Only backups of these components (a token narrowed to components sees only those). */
  components?: string[];
  since: BackupSince;
  sort: BackupSort;
  limit: number;
}

/** Why a name cannot be used for a new backup. */
export type NameTaken = BackupNameTaken;

const SINCE_DAYS: Record<BackupSince, number | null> = { '7d': 7, '30d': 30, '90d': 90, all: null };

/** ORDER BY per sort; every order ends on the id so pages are stable. */
const ORDER: Record<BackupSort, Array<[string, 'ASC' | 'DESC']>> = {
  date: [
    ['b.createdAt', 'DESC'],
    ['b.id', 'DESC'],
  ],
  size: [
    ['b.sizeBytes', 'DESC'],
    ['b.createdAt', 'DESC'],
    ['b.id', 'DESC'],
  ],
  name: [['b.id', 'ASC']],
  type: [
    ['b.type', 'ASC'],
    ['b.createdAt', 'DESC'],
    ['b.id', 'DESC'],
  ],
};

/**
 * Reads the backup catalogue and operations (the backup service writes them) and records
 * operator-requested operations: the `backup_operations` row and its command in the outbox
 * commit together; the relay publishes the command as soon as they do.
 */
@Injectable()
export class BackupsRepository {
  constructor(private readonly ds: DataSource) {}

  /** The clock: default backup names are taken from it. */
  now(): Date {
    return new Date();
  }

  /** Catalogue entries matching the filter, in the filter's order. */
  list(filter: BackupFilter): Promise<BackupEntity[]> {
    const q = this.ds.getRepository(BackupEntity).createQueryBuilder('b');
    if (filter.type) q.andWhere('b.type = :type', { type: filter.type });
    if (filter.status) q.andWhere('b.status = :status', { status: filter.status });
    if (filter.node) q.andWhere('b.node_id = :node', { node: filter.node });
    if (filter.components) q.andWhere('b.component IN (:...components)', { components: filter.components });
    const days = SINCE_DAYS[filter.since];
    if (days !== null) q.andWhere(`b.created_at >= now() - make_interval(days => :days)`, { days });
    const [first, ...rest] = ORDER[filter.sort];
    q.orderBy(first[0], first[1]);
    for (const [column, direction] of rest) q.addOrderBy(column, direction);
    return q.take(filter.limit).getMany();
  }

  /** One catalogue entry, or null. */
  find(id: string): Promise<BackupEntity | null> {
    return this.ds.getRepository(BackupEntity).findOneBy({ id });
  }

  /** The latest operations on a backup (including prunes that removed it), newest first. */
  operationsOf(backupId: string, limit: number): Promise<BackupOperationEntity[]> {
    return this.ds
      .getRepository(BackupOperationEntity)
      .createQueryBuilder('o')
      .where('o.backup_id = :id', { id: backupId })
      .orWhere(`(o.kind = 'prune' AND o.result -> 'removedBackups' @> jsonb_build_array(CAST(:id AS text)))`, {
        id: backupId,
      })
      .orderBy('o.requestedAt', 'DESC')
      .addOrderBy('o.id', 'DESC')
      .take(limit)
      .getMany();
  }

  /** One operation, or null. */
  findOperation(id: string): Promise<BackupOperationEntity | null> {
    return this.ds.getRepository(BackupOperationEntity).findOneBy({ id });
  }

  /** Records a create operation and its audit record unless its name is taken; returns why it is taken instead. */
  async enqueueCreate(
    command: Extract<BackupOperationCommandV1, { kind: 'create' }>,
    actor: AuditActor,
  ): Promise<{ operation: BackupOperationEntity } | { taken: NameTaken }> {
    return enqueueBackupOperation(this.ds, command, actor);
  }

  /** Records a verify, restore or prune operation with its command and its audit record. */
  async enqueue(
    command: Exclude<BackupOperationCommandV1, { kind: 'create' }>,
    actor: AuditActor,
  ): Promise<BackupOperationEntity> {
    const outcome = await enqueueBackupOperation(this.ds, command, actor);
    if (!('operation' in outcome)) throw new Error(`internal: a ${command.kind} operation was refused`);
    return outcome.operation;
  }
}
