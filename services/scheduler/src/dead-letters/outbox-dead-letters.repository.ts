import { Injectable } from '@nestjs/common';
import { redriveOutboxDeadLetters, type OutboxRedrive } from '@lockstep/persistence';
import { DataSource, type EntityManager } from 'typeorm';

/** The scheduler's re-drive and discard of outbox dead letters (the relay's poison rows). */
@Injectable()
export class OutboxDeadLettersRepository {
  constructor(private readonly ds: DataSource) {}

  /**
   * In one transaction: moves the dead letters back into the outbox, then runs `alongside` (the
   * audit record) with what moved; either throwing rolls all of it back.
   */
  redrive(
    ids: string[] | 'all',
    alongside: (m: EntityManager, result: OutboxRedrive) => Promise<void>,
  ): Promise<OutboxRedrive> {
    return this.ds.transaction(async (m) => {
      const result =
        ids !== 'all' && ids.length === 0 ? { moved: [], skipped: [] } : await redriveOutboxDeadLetters(m, ids);
      await alongside(m, result);
      return result;
    });
  }

  /**
   * In one transaction: deletes outbox dead letter `id` and runs `alongside` (the audit record)
   * with its subject, or with undefined when there is no such row.
   */
  discard(id: string, alongside: (m: EntityManager, subject: string | undefined) => Promise<void>): Promise<void> {
    return this.ds.transaction(async (m) => {
      const [rows]: [{ subject: string }[], number] = await m.query(
        `DELETE FROM outbox_dead_letters WHERE id = $1::bigint RETURNING subject`,
        [id],
      );
      await alongside(m, rows[0]?.subject);
    });
  }
}
