import type { NodeEntry } from '@lockstep/messaging';
import { ComponentEntity, createDataSource, runMigrations } from '@lockstep/persistence';
import { createTestDatabase, type TestDatabase } from '@lockstep/testing';
import type { DataSource } from 'typeorm';
import type { ReleaseInfoRepository } from '../rollouts/release-info.repository';

/** A live node of the fleet view running demo 1.0.0. */
export const demoNode = (id: string): NodeEntry => ({
  record: {
    id,
    hostname: id,
    labels: {},
    components: { demo: '1.0.0' },
    manages: ['demo'],
    agentVersion: '1',
    seenAt: '2026-01-01T00:00:00Z',
    state: 'idle',
  },
  lost: false,
});

/** A checker that has verified every release asked for (a semver artifact on S3). */
export const verifiedReleases = (): ReleaseInfoRepository =>
  ({
    get: async (component: string, version: string) => ({
      ok: true as const,
      result: { component, version, scheme: 'semver', artifact: { uri: 's3://b/demo', sha256: 'a', length: 1 } },
    }),
  }) as unknown as ReleaseInfoRepository;

/** A fresh, migrated database (one per spec file); `drop()` closes the connection and removes it. */
export async function migratedDatabase(): Promise<{ ds: DataSource; drop(): Promise<void> }> {
  const db: TestDatabase = await createTestDatabase();
  const ds = createDataSource(db.url);
  await ds.initialize();
  await runMigrations(ds);
  return {
    ds,
    async drop() {
      await ds.destroy();
      await db.drop();
    },
  };
}

/** Registers component demo (semver, stable, from TUF), running `currentVersion`. */
export const insertDemoComponent = (ds: DataSource, currentVersion: string | null = '1.0.0') =>
  ds.getRepository(ComponentEntity).insert({
    name: 'demo',
    scheme: 'semver',
    channel: 'stable',
    currentVersion,
    sourceType: 'tuf',
    sourceConfig: {},
  });
