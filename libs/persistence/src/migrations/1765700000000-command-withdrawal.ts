import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A node's command remembers where it lies in the COMMANDS stream, so the scheduler can
 * withdraw (delete) an install the node did not answer within the progress deadline: an
 * agent that comes back later never sees it. `withdraw_seq` is a withdrawal still to do; it
 * stays until NATS confirmed the delete, so one that failed is retried.
 */
export class CommandWithdrawal1765700000000 implements MigrationInterface {
  name = 'CommandWithdrawal1765700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "rollout_nodes" ADD COLUMN "command_seq" bigint, ADD COLUMN "withdraw_seq" bigint`);
    await q.query(
      `CREATE INDEX "ix_rollout_nodes_withdraw" ON "rollout_nodes" ("withdraw_seq") WHERE "withdraw_seq" IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "ix_rollout_nodes_withdraw"`);
    await q.query(`ALTER TABLE "rollout_nodes" DROP COLUMN "withdraw_seq", DROP COLUMN "command_seq"`);
  }
}
