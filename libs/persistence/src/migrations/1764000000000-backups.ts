import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The backup catalogue, operator-requested backup operations, and each rollout node's pre-update backup. */
export class Backups1764000000000 implements MigrationInterface {
  name = 'Backups1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "backups" (
      "id" text PRIMARY KEY,
      "type" text NOT NULL,
      "trigger" text NOT NULL,
      "status" text NOT NULL,
      "component" text NOT NULL,
      "component_version" text,
      "node_id" text,
      "rollout_id" text,
      "description" text NOT NULL DEFAULT '',
      "encrypted" boolean NOT NULL DEFAULT false,
      "compressed" boolean NOT NULL DEFAULT true,
      "size_bytes" bigint NOT NULL DEFAULT 0,
      "stored_bytes" bigint NOT NULL DEFAULT 0,
      "uploaded_bytes" bigint NOT NULL DEFAULT 0,
      "files" integer NOT NULL DEFAULT 0,
      "packs" integer NOT NULL DEFAULT 0,
      "duration_ms" integer NOT NULL DEFAULT 0,
      "error" text,
      "corrupted_packs" jsonb NOT NULL DEFAULT '[]',
      "created_at" timestamptz NOT NULL,
      "completed_at" timestamptz,
      "verified_at" timestamptz,
      "updated_at" timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE INDEX "ix_backups_created" ON "backups" ("created_at")`);
    await q.query(`CREATE TABLE "backup_operations" (
      "id" uuid PRIMARY KEY,
      "kind" text NOT NULL,
      "backup_id" text,
      "state" text NOT NULL,
      "request" jsonb NOT NULL,
      "step" text,
      "percent" integer NOT NULL DEFAULT 0,
      "message" text,
      "error" text,
      "result" jsonb,
      "attempts" integer NOT NULL DEFAULT 0,
      "requested_at" timestamptz NOT NULL DEFAULT now(),
      "started_at" timestamptz,
      "finished_at" timestamptz)`);
    await q.query(`CREATE INDEX "ix_backup_operations_requested" ON "backup_operations" ("requested_at")`);
    await q.query(`ALTER TABLE "rollout_nodes" ADD "backup_id" text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "rollout_nodes" DROP COLUMN IF EXISTS "backup_id"`);
    for (const t of ['backup_operations', 'backups']) await q.query(`DROP TABLE IF EXISTS "${t}"`);
  }
}
