import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Runtime settings (`lockstep settings`): a row only for a setting set away from its default
 * (a reset deletes it), keyed by the setting's `<category>.<name>`, with who set it and when.
 * Services read the table through a cache of at most a second, so a change needs no restart.
 */
export class Settings1765720000000 implements MigrationInterface {
  name = 'Settings1765720000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "settings" (
      "key" text PRIMARY KEY,
      "value" jsonb NOT NULL,
      "updated_at" timestamptz NOT NULL DEFAULT now(),
      "updated_by" text NOT NULL
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS "settings"`);
  }
}
