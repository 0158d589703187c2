import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Two fixes to node liveness and removal.
 *
 * A recovered node keeps its `lost_nodes` row, marked `recovered_at`, with the heartbeat it came
 * back with in `last_seen_at`: a replica acting on a look at the fleet older than that heartbeat
 * (it listed the node lost before another replica saw it recover) must not announce it lost again,
 * and it can only tell when the recovery is remembered. The row still goes when the node leaves
 * the node bucket (`lockstep nodes rm`).
 *
 * `node_removals` holds a `lockstep nodes rm` under way: written (committed) before the node's
 * record and command consumer are deleted, and deleted in the transaction that appends the
 * `node.removed` audit record, so a removal killed half-way is finished by the next attempt.
 */
export class NodeLivenessAndRemovals1765710000000 implements MigrationInterface {
  name = 'NodeLivenessAndRemovals1765710000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "lost_nodes" ADD "recovered_at" timestamptz`);
    await q.query(`CREATE TABLE "node_removals" (
      "node_id" text PRIMARY KEY,
      "hostname" text NOT NULL,
      "last_seen_at" text NOT NULL,
      "was_lost" boolean NOT NULL,
      "force" boolean NOT NULL,
      "started_at" timestamptz NOT NULL
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "node_removals"`);
    await q.query(`DELETE FROM "lost_nodes" WHERE "recovered_at" IS NOT NULL`);
    await q.query(`ALTER TABLE "lost_nodes" DROP COLUMN "recovered_at"`);
  }
}
