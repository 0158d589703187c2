import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `requires` of components and of announced releases (issue 13, components that depend on each
 * other): component name → version range, from the registration and from a release's signed
 * metadata. Updates are carried out in the order they give; `{}` requires nothing.
 */
export class ComponentRequirements1765770000000 implements MigrationInterface {
  name = 'ComponentRequirements1765770000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "components" ADD COLUMN "requires" jsonb NOT NULL DEFAULT '{}'`);
    await q.query(`ALTER TABLE "announced_releases" ADD COLUMN "requires" jsonb NOT NULL DEFAULT '{}'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "announced_releases" DROP COLUMN "requires"`);
    await q.query(`ALTER TABLE "components" DROP COLUMN "requires"`);
  }
}
