import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Outbox rows get the aggregate they belong to, so replicas of the relay keep each
 * aggregate's rows in commit order; and a row NATS can never take (too large, a subject no
 * stream captures, a subject the relay may not publish) moves to `outbox_dead_letters` with
 * the reason instead of blocking every later row.
 *
 * Existing rows take the aggregate new ones get: the event's CloudEvent `subject` (the
 * component or rollout it is about), else the NATS subject (commands: all backup operations
 * are one aggregate).
 */
export class OutboxAggregatesAndDeadLetters1765620000000 implements MigrationInterface {
  name = 'OutboxAggregatesAndDeadLetters1765620000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "outbox" ADD COLUMN "aggregate" text`);
    await q.query(`UPDATE "outbox" SET "aggregate" = CASE WHEN "event" ? 'specversion'
      THEN COALESCE("event"->>'subject', "subject") ELSE "subject" END`);
    await q.query(`ALTER TABLE "outbox" ALTER COLUMN "aggregate" SET NOT NULL`);
    await q.query(`CREATE INDEX "ix_outbox_aggregate_id" ON "outbox" ("aggregate", "id")`);
    await q.query(`CREATE TABLE "outbox_dead_letters" (
      "id" bigint PRIMARY KEY,
      "subject" text NOT NULL,
      "event_id" text NOT NULL,
      "aggregate" text NOT NULL,
      "event" jsonb NOT NULL,
      "headers" jsonb NOT NULL DEFAULT '{}',
      "created_at" timestamptz NOT NULL,
      "reason" text NOT NULL,
      "dead_lettered_at" timestamptz NOT NULL DEFAULT now())`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "outbox_dead_letters"`);
    await q.query(`DROP INDEX "ix_outbox_aggregate_id"`);
    await q.query(`ALTER TABLE "outbox" DROP COLUMN "aggregate"`);
  }
}
