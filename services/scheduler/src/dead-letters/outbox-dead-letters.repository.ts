import { Injectable } from '@nestjs/common';
import { redriveOutboxDeadLetters, type RedrivenOutboxRow } from '@lockstep/persistence';
import { DataSource, type EntityManager } from 'typeorm';

/** The scheduler's re-drive of outbox dead letters (the relay's poison rows). */
@Injectable()
export class OutboxDeadLettersRepository {
  constructor(private readonly ds: DataSource) {}

  /**
   * In one transaction: moves the dead letters back into the outbox, then runs `alongside` (the
   * audit record) with what moved; either throwing rolls all of it back.
   */
  redrive(
    ids: string[] | 'all',
    alongside: (m: EntityManager, moved: RedrivenOutboxRow[]) => Promise<void>,
  ): Promise<RedrivenOutboxRow[]> {
    return this.ds.transaction(async (m) => {
      const moved = ids !== 'all' && ids.length === 0 ? [] : await redriveOutboxDeadLetters(m, ids);
      await alongside(m, moved);
      return moved;
    });
  }
}
