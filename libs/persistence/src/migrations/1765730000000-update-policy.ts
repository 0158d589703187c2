import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `update_policy`: the update policy in force (issue 13), one row at most (`id` is always 1).
 * No row means the built-in default (DEFAULT_POLICY_FILE: nothing installs on its own), so a
 * control plane upgraded to this version behaves as before. The API replaces the row at each
 * `policy apply`/`policy set`, revision + 1, with the `policy.apply`/`policy.set` audit record in
 * the same transaction; the audit trail keeps the history.
 */
export class UpdatePolicy1765730000000 implements MigrationInterface {
  name = 'UpdatePolicy1765730000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "update_policy" (
      "id" smallint PRIMARY KEY CHECK ("id" = 1),
      "revision" integer NOT NULL,
      "document" jsonb NOT NULL,
      "applied_at" timestamptz NOT NULL DEFAULT now(),
      "applied_by" text NOT NULL
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "update_policy"`);
  }
}
