import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A recovered node keeps its `lost_nodes` row, marked `recovered_at`, with the heartbeat it came
 * back with in `last_seen_at`: a replica acting on a look at the fleet older than that heartbeat
 * (it listed the node lost before another replica saw it recover) must not announce it lost again,
 * and it can only tell when the recovery is remembered. The row still goes when the node leaves
 * the node bucket (`lockstep nodes rm`).
 */
export class LostNodesRecovered1765710000000 implements MigrationInterface {
  name = 'LostNodesRecovered1765710000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "lost_nodes" ADD "recovered_at" timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM "lost_nodes" WHERE "recovered_at" IS NOT NULL`);
    await q.query(`ALTER TABLE "lost_nodes" DROP COLUMN "recovered_at"`);
  }
}
