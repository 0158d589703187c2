import { Injectable } from '@nestjs/common';
import { AuditLogEntity } from '@lockstep/persistence';
import { DataSource } from 'typeorm';

/** Reads the lock actions of the audit trail (releases and takeovers of cluster locks). */
@Injectable()
export class LockAuditRepository {
  constructor(private readonly ds: DataSource) {}

  /** The latest `lock.*` records that changed a lock, newest first (refused releases are in `GET /v1/audit`). */
  latest(limit: number): Promise<AuditLogEntity[]> {
    return this.ds
      .getRepository(AuditLogEntity)
      .createQueryBuilder('a')
      .where(`a.action LIKE 'lock.%' AND a.outcome = 'ok'`)
      .orderBy('a.id', 'DESC')
      .limit(limit)
      .getMany();
  }
}
