import { Streams, Subjects, type CheckFailedV1 } from '@lockstep/contracts';
import { ensureStreams, NatsClient } from '@lockstep/messaging';
import { createTestDatabase, uniqueName } from '@lockstep/testing';
import type { DataSource } from 'typeorm';
import { createDataSource, runMigrations } from '../data-source';

/** A migrated database and a NATS namespace with Lockstep's streams, for specs of the outbox relay. */
export interface OutboxFixture {
  namespace: string;
  ds: DataSource;
  nats: NatsClient;
  /** The check.failed events published so far, in the order the server received them. */
  checkFailed: { subject?: string; data: CheckFailedV1 }[];
  /** Unsubscribes, deletes the streams and the database. */
  stop(): Promise<void>;
}

/** A check.failed payload whose reason tells the events of a spec apart. */
export const checkFailure = (reason: string): CheckFailedV1 => ({
  component: 'demo',
  source: 'tuf',
  code: 'SOURCE_UNREACHABLE',
  reason,
});

/** Creates a fresh database and namespace (prefix `prefix`) on the shared Postgres and nats-server. */
export async function startOutboxFixture(prefix: string): Promise<OutboxFixture> {
  const namespace = uniqueName(prefix);
  const db = await createTestDatabase();
  const ds = createDataSource(db.url);
  await ds.initialize();
  await runMigrations(ds);
  const servers = [process.env.LOCKSTEP_TEST_NATS_URL ?? 'nats://127.0.0.1:4222'];
  const nats = new NatsClient({ service: 'spec', connection: { NATS_URL: servers }, namespace, handles: [] });
  await nats.connect();
  await ensureStreams(nats.jsm, namespace, 1);
  const checkFailed: OutboxFixture['checkFailed'] = [];
  const sub = nats.nc.subscribe(nats.subject(Subjects.CheckFailed));
  void (async () => {
    for await (const m of sub) checkFailed.push(m.json());
  })();
  return {
    namespace,
    ds,
    nats,
    checkFailed,
    async stop() {
      sub.unsubscribe();
      for (const s of Object.values(Streams)) await nats.jsm.streams.delete(nats.stream(s.name)).catch(() => undefined);
      await nats.onApplicationShutdown();
      await ds.destroy();
      await db.drop();
    },
  };
}
