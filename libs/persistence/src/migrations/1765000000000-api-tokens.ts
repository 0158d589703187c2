import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * API tokens: each row is one token, found by the id that the token itself carries
 * (`lst_<id>_<secret>`), holding only the SHA-256 of the token, never the token.
 */
export class ApiTokens1765000000000 implements MigrationInterface {
  name = 'ApiTokens1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "api_tokens" (
      "id" text PRIMARY KEY,
      "name" text NOT NULL,
      "role" text NOT NULL CHECK ("role" IN ('viewer', 'operator', 'owner')),
      "components" jsonb,
      "secret_hash" text NOT NULL,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      "created_by" text,
      "expires_at" timestamptz,
      "revoked_at" timestamptz,
      "last_used_at" timestamptz)`);
    await q.query(`CREATE INDEX "ix_api_tokens_created" ON "api_tokens" ("created_at")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS "api_tokens"`);
  }
}
