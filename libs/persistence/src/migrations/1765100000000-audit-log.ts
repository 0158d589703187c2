import type { MigrationInterface, QueryRunner } from 'typeorm';
import { appendAudit, type AuditRecordInput } from '../audit/audit-log';
import { AUDIT_GENESIS_HASH } from '../audit/audit-hash';

/**
 * The hash-chained audit trail (`audit_log` plus its head), append-only by trigger. The old
 * `lock_audit` rows (force releases) are carried into the chain, oldest first, and the table is
 * dropped: one trail from here on. Their actor was a name the caller typed, so they are recorded
 * as `legacy` entries whose actor says so.
 */
export class AuditLog1765100000000 implements MigrationInterface {
  name = 'AuditLog1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "audit_log" (
      "id" bigint PRIMARY KEY,
      "at" timestamptz NOT NULL,
      "actor_kind" text NOT NULL,
      "actor_id" text NOT NULL,
      "actor_name" text NOT NULL,
      "role" text,
      "action" text NOT NULL,
      "target" text NOT NULL,
      "params" jsonb NOT NULL,
      "source" text,
      "outcome" text NOT NULL,
      "prev_hash" text NOT NULL,
      "hash" text NOT NULL)`);
    await q.query(`CREATE INDEX "ix_audit_log_at" ON "audit_log" ("at")`);
    await q.query(`CREATE TABLE "audit_head" (
      "id" integer PRIMARY KEY,
      "last_id" bigint NOT NULL,
      "last_hash" text NOT NULL)`);
    await q.query(`INSERT INTO "audit_head" ("id", "last_id", "last_hash") VALUES (1, 0, $1)`, [AUDIT_GENESIS_HASH]);
    await q.query(`CREATE FUNCTION "audit_log_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`CREATE TRIGGER "audit_log_append_only" BEFORE UPDATE OR DELETE ON "audit_log"
      FOR EACH ROW EXECUTE FUNCTION "audit_log_append_only"()`);
    await q.query(`CREATE TRIGGER "audit_log_no_truncate" BEFORE TRUNCATE ON "audit_log"
      FOR EACH STATEMENT EXECUTE FUNCTION "audit_log_append_only"()`);
    await q.query(`CREATE FUNCTION "audit_head_forward_only"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP <> 'UPDATE' OR NEW.id <> OLD.id OR NEW.last_id <> OLD.last_id + 1 THEN
          RAISE EXCEPTION 'audit_head only moves forward by one record: % refused', TG_OP
            USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(`CREATE TRIGGER "audit_head_forward_only" BEFORE UPDATE OR DELETE ON "audit_head"
      FOR EACH ROW EXECUTE FUNCTION "audit_head_forward_only"()`);

    const legacy = (await q.query(
      `SELECT "lock_key", "action", "by_whom", "reason", "removed", "at" FROM "lock_audit" ORDER BY "at", "id"`,
    )) as Array<{ lock_key: string; action: string; by_whom: string; reason: string; removed: unknown; at: Date }>;
    for (const row of legacy) {
      const record: AuditRecordInput = {
        at: new Date(row.at),
        actor: {
          kind: 'system',
          id: 'legacy',
          name: `${row.by_whom} (name typed by the caller, before tokens)`,
          role: null,
          components: null,
          source: null,
        },
        action: /release/.test(row.action) ? 'lock.release' : `lock.${row.action}`,
        target: row.lock_key,
        params: { reason: row.reason, removed: row.removed },
        outcome: 'ok',
      };
      await appendAudit(q.manager, record);
    }
    await q.query(`DROP TABLE "lock_audit"`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "lock_audit" (
      "id" BIGSERIAL PRIMARY KEY,
      "lock_key" text NOT NULL,
      "action" text NOT NULL,
      "by_whom" text NOT NULL,
      "reason" text NOT NULL,
      "removed" jsonb,
      "at" timestamptz NOT NULL DEFAULT now())`);
    await q.query(`DROP TABLE "audit_head"`);
    await q.query(`DROP TABLE "audit_log"`);
    await q.query(`DROP FUNCTION "audit_head_forward_only"()`);
    await q.query(`DROP FUNCTION "audit_log_append_only"()`);
  }
}
