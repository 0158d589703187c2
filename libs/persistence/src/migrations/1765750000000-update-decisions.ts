import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The unique index that keeps one live hold per component and version (null version: every version). */
export const ONE_LIVE_HOLD_INDEX = 'uq_update_holds_live';

/** The check that keeps approval states to pending, approved and rejected. */
export const APPROVAL_STATE_CHECK = 'update_approvals_state_check';

/**
 * Operators' decisions about automatic updates (issue 13). `update_approvals`: one row per
 * release whose policy asks for approval (the engine inserts it `pending`) or that an operator
 * decided. `update_holds`: holds that stop automatic installs of a component (`version` null) or
 * of one version, kept after release for the record; at most one live hold per component/version.
 */
export class UpdateDecisions1765750000000 implements MigrationInterface {
  name = 'UpdateDecisions1765750000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "update_approvals" (
      "component" text NOT NULL,
      "version" text NOT NULL,
      "state" text NOT NULL CONSTRAINT "${APPROVAL_STATE_CHECK}" CHECK ("state" IN ('pending', 'approved', 'rejected')),
      "requested_at" timestamptz NULL,
      "decided_at" timestamptz NULL,
      "decided_by" text NULL,
      "reason" text NOT NULL DEFAULT '',
      PRIMARY KEY ("component", "version")
    )`);
    await q.query(`CREATE TABLE "update_holds" (
      "id" uuid PRIMARY KEY,
      "component" text NOT NULL,
      "version" text NULL,
      "reason" text NOT NULL,
      "automatic" boolean NOT NULL DEFAULT false,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      "created_by" text NOT NULL,
      "released_at" timestamptz NULL,
      "released_by" text NULL
    )`);
    await q.query(
      `CREATE UNIQUE INDEX "${ONE_LIVE_HOLD_INDEX}" ON "update_holds" ("component", coalesce("version", '')) WHERE "released_at" IS NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "update_holds"`);
    await q.query(`DROP TABLE "update_approvals"`);
  }
}
