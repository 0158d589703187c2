import { createTestDatabase, type TestDatabase } from '@lockstep/testing';
import { allMigrations, createDataSource, runMigrations } from '@lockstep/persistence';
import type { DataSource } from 'typeorm';

describe('migrations', () => {
  let db: TestDatabase;
  let sut: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase();
    sut = createDataSource(db.url);
    await sut.initialize();
  });
  afterAll(async () => {
    await sut.destroy();
    await db.drop();
  });

  it('bring an empty database to exactly the entities, once, even when replicas race', async () => {
    const other = createDataSource(db.url);
    await other.initialize();

    const [a, b] = await Promise.all([runMigrations(sut), runMigrations(other)]);
    const pending = await sut.driver.createSchemaBuilder().log();
    await other.destroy();

    expect([...a, ...b]).toEqual(allMigrations.map((m) => m.name));
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });
});
