import { Injectable } from '@nestjs/common';
import { appendAudit, type AuditRecordInput } from '@lockstep/persistence';
import { DataSource, type EntityManager } from 'typeorm';

/** The scheduler's writes to the audit trail. */
@Injectable()
export class AuditRepository {
  constructor(private readonly ds: DataSource) {}

  /** Appends one record in a transaction of its own (for refusals and changes made outside Postgres). */
  async record(input: AuditRecordInput): Promise<void> {
    await this.ds.transaction((m) => appendAudit(m, input));
  }

  /** Appends one record inside a transaction the caller already runs. */
  async recordIn(manager: EntityManager, input: AuditRecordInput): Promise<void> {
    await appendAudit(manager, input);
  }

  /**
   * Appends `input`, then runs `act` (a change outside Postgres, e.g. in the NATS KV bucket), in
   * one transaction: the record commits only when `act` resolves, and rolls back when it throws.
   */
  async recordAround<T>(input: AuditRecordInput, act: () => Promise<T>): Promise<T> {
    return this.ds.transaction(async (m) => {
      await appendAudit(m, input);
      return act();
    });
  }
}
