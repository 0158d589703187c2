import { Injectable } from '@nestjs/common';
import { BackupOperationEntity, controlPlaneRestore } from '@lockstep/persistence';
import { DataSource } from 'typeorm';

/** The `backup_operations` rows the worker moves along. */
@Injectable()
export class BackupOperationsRepository {
  constructor(private readonly ds: DataSource) {}

  /**
   * What restoring Lockstep's own database also does, over this connection: the fix-up SQL, the
   * live tables left out of an in-place restore, and the audit record appended after it.
   */
  controlPlaneRestore(): ReturnType<typeof controlPlaneRestore> {
    return controlPlaneRestore(this.ds);
  }

  get(id: string): Promise<BackupOperationEntity | null> {
    return this.ds.getRepository(BackupOperationEntity).findOneBy({ id });
  }

  /** Marks the operation running (one more attempt); returns the row as it was before. */
  async start(id: string): Promise<BackupOperationEntity | null> {
    return this.ds.transaction(async (m) => {
      const row = await m
        .getRepository(BackupOperationEntity)
        .createQueryBuilder('o')
        .setLock('pessimistic_write')
        .where('o.id = :id', { id })
        .getOne();
      if (!row) return null;
      if (row.state === 'queued' || row.state === 'running') {
        await m.update(
          BackupOperationEntity,
          { id },
          {
            state: 'running',
            attempts: row.attempts + 1,
            startedAt: row.startedAt ?? new Date(),
            step: 'starting',
            percent: 0,
          },
        );
      }
      return row;
    });
  }

  async progress(id: string, step: string, percent: number, message?: string): Promise<void> {
    await this.ds
      .getRepository(BackupOperationEntity)
      .update({ id, state: 'running' }, { step, percent: Math.round(percent), message: message ?? null });
  }

  async finish(
    id: string,
    outcome: { state: 'succeeded' | 'failed'; result?: Record<string, unknown> | null; error?: string | null },
  ): Promise<void> {
    await this.ds.getRepository(BackupOperationEntity).update(
      { id },
      {
        state: outcome.state,
        result: (outcome.result ?? null) as never,
        error: outcome.error ?? null,
        finishedAt: new Date(),
        ...(outcome.state === 'succeeded' ? { percent: 100 } : {}),
      },
    );
  }
}
