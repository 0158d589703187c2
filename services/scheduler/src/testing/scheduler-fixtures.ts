import type { NodeEntry } from '@lockstep/messaging';
import { createDataSource, runMigrations } from '@lockstep/persistence';
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

/**
 * A fresh, migrated database for the spec file (created before all its tests, dropped after);
 * call at the top of a describe and read `.ds` inside tests.
 */
export function useMigratedDatabase(): { readonly ds: DataSource } {
  let db: TestDatabase;
  const handle = { ds: undefined as unknown as DataSource };
  beforeAll(async () => {
    db = await createTestDatabase();
    handle.ds = createDataSource(db.url);
    await handle.ds.initialize();
    await runMigrations(handle.ds);
  });
  afterAll(async () => {
    await handle.ds.destroy();
    await db.drop();
  });
  return handle;
}
