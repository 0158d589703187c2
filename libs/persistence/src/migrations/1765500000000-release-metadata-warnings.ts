import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One row per TUF role version the checker warned about with `release.metadata_expiring`, so
 * the warning goes out once across replicas and restarts (the insert that wins sends it).
 */
export class ReleaseMetadataWarnings1765500000000 implements MigrationInterface {
  name = 'ReleaseMetadataWarnings1765500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "release_metadata_warnings" (
      "component" text NOT NULL,
      "role" text NOT NULL,
      "version" integer NOT NULL,
      "expires_at" timestamptz NOT NULL,
      "warned_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "pk_release_metadata_warnings" PRIMARY KEY ("component", "role", "version")
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "release_metadata_warnings"`);
  }
}
