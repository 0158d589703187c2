import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 13's stored objects: update schedules, the record of each of their runs, and
 * maintenance windows. The API writes schedules and windows (with an audit record in the same
 * transaction); the schedule engine reads them and writes `schedule_runs`, one row per run
 * keyed by `runKey(schedule id, instant)`, so a run fires once across replicas.
 */
export class SchedulesAndWindows1765740000000 implements MigrationInterface {
  name = 'SchedulesAndWindows1765740000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "update_schedules" (
      "id" uuid PRIMARY KEY,
      "name" text NOT NULL,
      "spec" jsonb NOT NULL,
      "components" text[] NOT NULL DEFAULT '{}',
      "classes" text[] NOT NULL DEFAULT '{}',
      "enabled" boolean NOT NULL DEFAULT true,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      "created_by" text NOT NULL,
      "updated_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "uq_update_schedules_name" UNIQUE ("name"))`);
    await q.query(`CREATE TABLE "schedule_runs" (
      "run_key" text PRIMARY KEY,
      "schedule_id" uuid NOT NULL,
      "due_at" timestamptz NOT NULL,
      "fired_at" timestamptz NOT NULL DEFAULT now(),
      "replica" text NOT NULL,
      "outcome" text NOT NULL,
      "rollout_ids" uuid[] NOT NULL DEFAULT '{}',
      "detail" text NOT NULL DEFAULT '',
      CONSTRAINT "fk_schedule_runs_schedule" FOREIGN KEY ("schedule_id")
        REFERENCES "update_schedules" ("id") ON DELETE CASCADE)`);
    await q.query(`CREATE INDEX "ix_schedule_runs_schedule_due" ON "schedule_runs" ("schedule_id", "due_at" DESC)`);
    await q.query(`CREATE TABLE "maintenance_windows" (
      "id" uuid PRIMARY KEY,
      "name" text NOT NULL,
      "spec" jsonb NOT NULL,
      "components" text[] NOT NULL DEFAULT '{}',
      "node_labels" jsonb NOT NULL DEFAULT '{}',
      "enabled" boolean NOT NULL DEFAULT true,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      "created_by" text NOT NULL,
      "updated_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "uq_maintenance_windows_name" UNIQUE ("name"))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "maintenance_windows"`);
    await q.query(`DROP TABLE "schedule_runs"`);
    await q.query(`DROP TABLE "update_schedules"`);
  }
}
