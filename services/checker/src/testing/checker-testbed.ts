import { generateKeySet, publishTestRelease } from '@lockstep/releases';
import { MinioObjectStore } from '@lockstep/storage';
import { MetricsRegistry } from '@lockstep/telemetry';
import { startS3Server, uniqueName } from '@lockstep/testing';
import { migratedDatabase } from '../../../scheduler/src/testing/scheduler-fixtures';
import { checkerSchema } from '../checker.config';
import { CheckRepository } from '../checks/check.repository';
import { ReleaseCheckService } from '../checks/release-check.service';

/**
 * What the checker's integration specs run against: a fresh migrated Postgres database, a
 * bucket on a loopback S3 server with a publisher key set, the checker's repository and its
 * release check wired to them. `stop` drops the database and stops the server.
 */
export async function checkerTestbed() {
  const [db, s3] = await Promise.all([migratedDatabase(), startS3Server()]);
  const { endpoint, accessKey, secretKey } = s3;
  const store = new MinioObjectStore({ endpoint, accessKey, secretKey, bucket: uniqueName('b') });
  await store.ensureBucket();
  const keys = generateKeySet();
  const repo = new CheckRepository(db.ds);
  return {
    db,
    store,
    keys,
    repo,
    /** The checker's release check on this database and bucket. */
    releaseCheck: () =>
      new ReleaseCheckService(
        repo,
        checkerSchema.parse({}),
        new MetricsRegistry({ serviceName: 'checker-int', defaultMetrics: false }),
        store,
      ),
    /** Publishes a signed release of `component` into the bucket (`publishTestRelease`). */
    publish: (component: string, version: string, extras: Parameters<typeof publishTestRelease>[1] = {}) =>
      publishTestRelease({ store, keys, component, version }, extras),
    async stop() {
      await db.drop();
      await s3.stop(true);
    },
  };
}
