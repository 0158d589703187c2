import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `automatic_rollouts`: the rollouts the scheduler started on its own (issue 13), written in the
 * rollout's own transaction. It tells an automatic rollout from an operator's: only an automatic
 * one that failed holds its release, and only one the scheduler paused when its maintenance
 * window closed is resumed by it when a window opens again; `hold_decided` says a failed one
 * has had its release held (once per failed rollout, so a released hold stays released).
 *
 * `update_schedules.first_seen_at`: when a scheduler replica first evaluated a schedule, by the
 * calendar it goes by. A schedule's runs start there (not at its creation, which the API stamps),
 * so a new schedule never fires a run from the days before it existed.
 */
export class AutomaticRollouts1765760000000 implements MigrationInterface {
  name = 'AutomaticRollouts1765760000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "automatic_rollouts" (
      "rollout_id" uuid PRIMARY KEY REFERENCES "rollouts" ("id") ON DELETE CASCADE,
      "component" text NOT NULL,
      "version" text NOT NULL,
      "trigger" text NOT NULL,
      "run_key" text,
      "window_name" text,
      "paused_for_window" boolean NOT NULL DEFAULT false,
      "hold_decided" boolean NOT NULL DEFAULT false,
      "created_at" timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`ALTER TABLE "update_schedules" ADD "first_seen_at" timestamptz`);
    await q.query(
      `CREATE INDEX "ix_automatic_rollouts_release" ON "automatic_rollouts" ("component", "version", "created_at" DESC)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "automatic_rollouts"`);
    await q.query(`ALTER TABLE "update_schedules" DROP COLUMN "first_seen_at"`);
  }
}
