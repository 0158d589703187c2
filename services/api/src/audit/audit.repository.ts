import { Injectable } from '@nestjs/common';
import {
  appendAudit,
  AuditLogEntity,
  verifyAuditChain,
  type AuditChainVerdict,
  type AuditRecordInput,
} from '@lockstep/persistence';
import { DataSource, type EntityManager } from 'typeorm';

/** Filters of a trail listing, resolved (the service turns `since` into an instant). */
export interface AuditFilter {
  since?: Date;
  actor?: string;
  /** An exact action, or a kind with a trailing dot (`rollout.`). */
  action?: string;
  limit: number;
}

/** The audit trail in Postgres: appends (in a transaction of the caller's or its own), reads and the chain check. */
@Injectable()
export class AuditRepository {
  constructor(private readonly ds: DataSource) {}

  /** Appends one record in a transaction of its own. */
  async append(input: AuditRecordInput): Promise<void> {
    await this.ds.transaction((m) => appendAudit(m, input));
  }

  /** Appends one record inside the caller's transaction. */
  async appendIn(manager: EntityManager, input: AuditRecordInput): Promise<void> {
    await appendAudit(manager, input);
  }

  /** Records newest first. */
  list(filter: AuditFilter): Promise<AuditLogEntity[]> {
    const q = this.ds.getRepository(AuditLogEntity).createQueryBuilder('a').orderBy('a.id', 'DESC').limit(filter.limit);
    if (filter.since) q.andWhere('a.at >= :since', { since: filter.since });
    if (filter.actor) q.andWhere('(a.actor_id = :actor OR a.actor_name = :actor)', { actor: filter.actor });
    if (filter.action?.endsWith('.'))
      q.andWhere(`a.action LIKE :prefix ESCAPE '\\'`, { prefix: `${filter.action.replace(/[\\%_]/g, '\\$&')}%` });
    else if (filter.action) q.andWhere('a.action = :action', { action: filter.action });
    return q.getMany();
  }

  /** Walks the whole chain (batched). */
  verify(): Promise<AuditChainVerdict> {
    return verifyAuditChain(this.ds);
  }

  /** The clock `since` durations count back from. */
  now(): number {
    return Date.now();
  }
}
