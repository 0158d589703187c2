import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * At most one rollout is planned, running or paused at a time, enforced by the database: the
 * scheduler's check before inserting cannot see a rollout another request is inserting at the
 * same moment. (A failed rollout still reverting its nodes is also refused by that check, but
 * not by this index: whether it has nodes left to revert lives in another table.)
 *
 * Should a database already hold several active rollouts (the race this closes), one keeps
 * going — one that already sent commands (running or paused) before one still planned, then
 * the oldest — and the others are aborted with a reason that says why.
 */
export class OneActiveRollout1765608000000 implements MigrationInterface {
  name = 'OneActiveRollout1765608000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`UPDATE rollouts SET state = 'aborted', finished_at = now(), updated_at = now(),
        reason = 'aborted by a database upgrade: another rollout was active at the same time, and only one may be'
      WHERE state IN ('planned', 'running', 'paused')
        AND id <> (SELECT id FROM rollouts WHERE state IN ('planned', 'running', 'paused')
          ORDER BY CASE state WHEN 'planned' THEN 1 ELSE 0 END, created_at, id LIMIT 1)`);
    await q.query(
      `CREATE UNIQUE INDEX "${ONE_ACTIVE_ROLLOUT_INDEX}" ON "rollouts" ((true)) WHERE state IN ('planned', 'running', 'paused')`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "${ONE_ACTIVE_ROLLOUT_INDEX}"`);
  }
}

/** Name of the unique index that admits one active rollout; a unique violation naming it means "another one is active". */
export const ONE_ACTIVE_ROLLOUT_INDEX = 'uq_rollouts_one_active';
