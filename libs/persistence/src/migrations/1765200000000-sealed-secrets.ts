import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Subscription secrets sealed at rest: `target_sealed` holds the whole channel target
 * (URL with its token, signing secrets) sealed with LOCKSTEP_SECRET_KEY, while `target`
 * keeps only what may be shown (masked URL, number of secrets). Rows written before this
 * migration are sealed by the notifier when it starts with a key.
 */
export class SealedSecrets1765200000000 implements MigrationInterface {
  name = 'SealedSecrets1765200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "subscriptions" ADD COLUMN "target_sealed" text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "subscriptions" DROP COLUMN "target_sealed"`);
  }
}
