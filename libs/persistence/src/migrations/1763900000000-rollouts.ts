import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Rollouts, each node's part in them, and the lock audit log. */
export class Rollouts1763900000000 implements MigrationInterface {
  name = 'Rollouts1763900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "rollouts" (
      "id" uuid PRIMARY KEY,
      "component" text NOT NULL,
      "target_version" text NOT NULL,
      "kind" text NOT NULL,
      "artifact" jsonb NOT NULL,
      "selector" text NOT NULL,
      "strategy" jsonb NOT NULL,
      "state" text NOT NULL,
      "reason" text,
      "lock_token" bigint NOT NULL DEFAULT 0,
      "conductor" text,
      "rollback_of" uuid,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      "updated_at" timestamptz NOT NULL DEFAULT now(),
      "finished_at" timestamptz)`);
    await q.query(`CREATE TABLE "rollout_nodes" (
      "rollout_id" uuid NOT NULL,
      "node_id" text NOT NULL,
      "batch" integer NOT NULL,
      "canary" boolean NOT NULL DEFAULT false,
      "from_version" text,
      "status" text NOT NULL DEFAULT 'pending',
      "command_id" text,
      "step" text,
      "percent" integer NOT NULL DEFAULT 0,
      "error" text,
      "started_at" timestamptz,
      "finished_at" timestamptz,
      CONSTRAINT "PK_rollout_nodes" PRIMARY KEY ("rollout_id", "node_id"))`);
    await q.query(`CREATE INDEX "ix_rollout_nodes_command" ON "rollout_nodes" ("command_id")`);
    await q.query(`CREATE TABLE "lock_audit" (
      "id" BIGSERIAL PRIMARY KEY,
      "lock_key" text NOT NULL,
      "action" text NOT NULL,
      "by_whom" text NOT NULL,
      "reason" text NOT NULL,
      "removed" jsonb,
      "at" timestamptz NOT NULL DEFAULT now())`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['lock_audit', 'rollout_nodes', 'rollouts']) await q.query(`DROP TABLE IF EXISTS "${t}"`);
  }
}
