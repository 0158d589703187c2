import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Lost nodes no longer block a rollout of the whole fleet: a rollout records the nodes it left
 * out and why (`rollouts.skipped`, empty for the rollouts before it). `lost_nodes` holds each
 * node the scheduler announced as lost (`node.lost`), so one transition is announced once, by one
 * replica, across restarts; the row goes when the node heart-beats again (`node.recovered`) or
 * has left the node bucket (`lockstep nodes rm`).
 */
export class LostNodes1765641200000 implements MigrationInterface {
  name = 'LostNodes1765641200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "rollouts" ADD "skipped" jsonb NOT NULL DEFAULT '[]'`);
    await q.query(`CREATE TABLE "lost_nodes" (
      "node_id" text PRIMARY KEY,
      "last_seen_at" timestamptz NOT NULL,
      "lost_at" timestamptz NOT NULL
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "lost_nodes"`);
    await q.query(`ALTER TABLE "rollouts" DROP COLUMN "skipped"`);
  }
}
