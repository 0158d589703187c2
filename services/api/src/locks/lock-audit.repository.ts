import { Injectable } from '@nestjs/common';
import { LockAuditEntity } from '@lockstep/persistence';
import { DataSource } from 'typeorm';

/** Reads the lock audit log (the scheduler writes it when an operator force-releases a lock). */
@Injectable()
export class LockAuditRepository {
  constructor(private readonly ds: DataSource) {}

  /** The latest entries, newest first. */
  latest(limit: number): Promise<LockAuditEntity[]> {
    return this.ds.getRepository(LockAuditEntity).find({ order: { at: 'DESC', id: 'DESC' }, take: limit });
  }
}
