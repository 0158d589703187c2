import { createDataSource, runMigrations } from '@lockstep/persistence';
import { createTestDatabase, type TestDatabase } from '@lockstep/testing';
import type { DataSource } from 'typeorm';

/** A fresh database with every migration run, and a data source on it; `close` destroys both. */
export async function migratedDatabase(): Promise<{ db: TestDatabase; ds: DataSource; close(): Promise<void> }> {
  const db = await createTestDatabase();
  const ds = createDataSource(db.url);
  await ds.initialize();
  await runMigrations(ds);
  return {
    db,
    ds,
    close: async () => {
      await ds.destroy();
      await db.drop();
    },
  };
}
