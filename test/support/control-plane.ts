import type { NatsConnection } from '@nats-io/nats-core';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { createEvent, eventWireSubject, type PayloadOf, type Subject } from '@lockstep/contracts';
import { connectNats, QueryClient } from '@lockstep/messaging';
import { createTestDatabase, uniqueName, waitFor, type TestDatabase } from '@lockstep/testing';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { SecuredNats } from './secured-nats';

/** A per-test deployment identity: own database and NATS namespace on the shared servers. */
export interface TestDeployment {
  db: TestDatabase;
  namespace: string;
  env: Record<string, string>;
  nc: NatsConnection;
  queries: QueryClient;
  pg: Client;
  /** The deployment's own NATS with generated least-privilege users (absent on the shared server). */
  nats?: SecuredNats;
  /** Settings of one Lockstep process: `env`, plus its own NATS identity's seed when NATS is secured. */
  envFor(identity: string): Record<string, string>;
  /** Publishes an event to JetStream as a Lockstep service would. */
  publish<S extends Subject>(subject: S, data: PayloadOf<S>, subjectOfEvent?: string): Promise<string>;
  close(): Promise<void>;
}

export const NATS_URL = process.env.LOCKSTEP_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

/** Nodes a test deployment's NATS has users for, unless it names its own. */
export const TEST_NODES = Array.from({ length: 8 }, (_, i) => `node-${i + 1}`);

/**
 * A deployment on the shared Postgres, with its own database and NATS namespace. NATS is a
 * server of its own that runs the users `lockstep nats config` generates for `securedNodes`
 * (default TEST_NODES): each process started with `envFor(identity)` runs as its own
 * least-privilege user, and the test itself (nc, queries, publish) as the admin; closing the
 * deployment fails when the server refused any of them something. With `natsUrls` (a
 * cluster) it shares those servers, without users. With `pgAdminUrl` the database lives on
 * that Postgres server instead of the shared one (a test that stops Postgres runs its own).
 */
export async function createTestDeployment(
  options: { natsUrls?: string[]; securedNodes?: string[]; pgAdminUrl?: string } = {},
): Promise<TestDeployment> {
  const db = await createTestDatabase(undefined, options.pgAdminUrl);
  const namespace = uniqueName('t');
  const securedNodes = options.natsUrls ? undefined : (options.securedNodes ?? TEST_NODES);
  const nats = securedNodes ? await SecuredNats.start(namespace, securedNodes) : undefined;
  const servers = nats ? [nats.url] : (options.natsUrls ?? [NATS_URL]);
  const settings = nats?.settings('admin') ?? { NATS_URL: servers };
  const nc = await connectNats(settings);
  const js = jetstream(nc);
  const queries = new QueryClient(namespace, settings);
  const pg = new Client({ connectionString: db.url });
  const env = {
    DATABASE_URL: db.url,
    NATS_URL: servers.join(','),
    NATS_NAMESPACE: namespace,
    // the notifier seals subscription secrets at rest; each deployment has its own key
    LOCKSTEP_SECRET_KEY: randomBytes(32).toString('base64'),
    ...(servers.length > 1 ? { NATS_REPLICAS: String(Math.min(3, servers.length)) } : {}),
  };
  const dep: TestDeployment = {
    db,
    namespace,
    nc,
    queries,
    pg,
    nats,
    env,
    envFor: (identity) => ({ ...env, ...nats?.env(identity) }),
    async publish(subject, data, subjectOfEvent) {
      const ev = createEvent(subject, data, { source: '/lockstep/test', subject: subjectOfEvent });
      const nodeId = (data as { nodeId?: string }).nodeId;
      await js.publish(`${namespace}.${eventWireSubject(subject, nodeId)}`, JSON.stringify(ev), { msgID: ev.id });
      return ev.id;
    },
    async close() {
      await queries.close().catch(() => undefined);
      await dep.pg.end().catch(() => undefined); // pg may have been replaced (TestFleet.reconnectPostgres)
      await nc.close();
      const violations = nats?.violations() ?? [];
      await nats?.stop();
      await db.drop();
      if (violations.length)
        throw new Error(
          `a Lockstep process reached beyond its NATS permissions (fix the code or lockstep nats config):\n${violations.join('\n')}`,
        );
    },
  };
  return dep;
}

/** Every event published in a deployment's namespace, as collectEvents gathers them. */
export interface CollectedEvents {
  events: Array<{ seq: number; id: string; subject: string; type: string; data: Record<string, unknown> }>;
  /**
   * Resolves once every event the stream holds now has been collected: after a NATS server
   * died, the collector's consumer takes a few seconds to find the stream's new leader.
   */
  caughtUp(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Collects every event published in a deployment's namespace, from the start of its stream. */
export async function collectEvents(dep: TestDeployment): Promise<CollectedEvents> {
  const js = jetstream(dep.nc);
  const stream = `${dep.namespace.toUpperCase()}_EVENTS`;
  const consumer = await js.consumers.get(stream);
  // short pulls, as the services' consumers use: after a NATS server dies it recovers in seconds, not 30 s
  const messages = await consumer.consume({ expires: 5000 });
  const events: CollectedEvents['events'] = [];
  let lastSeq = 0;
  const done = (async () => {
    for await (const m of messages) {
      const ev = m.json<{ id: string; type: string; data: Record<string, unknown> }>();
      events.push({ seq: m.seq, id: ev.id, subject: m.subject, type: ev.type, data: ev.data });
      lastSeq = m.seq;
    }
  })();
  return {
    events,
    async caughtUp(timeoutMs = 30_000) {
      const jsm = await jetstreamManager(dep.nc);
      const target = (await jsm.streams.info(stream)).state.last_seq;
      await waitFor(() => lastSeq >= target, {
        timeoutMs,
        intervalMs: 100,
        what: `the event collector to reach ${stream} sequence ${target} (at ${lastSeq})`,
      });
    },
    async stop() {
      await messages.close();
      await done;
    },
  };
}

/** S3 settings for services, from a running test S3 server. */
export const s3Env = (
  s3: { endpoint: string; accessKey: string; secretKey: string },
  bucket: string,
): Record<string, string> => ({
  S3_ENDPOINT: s3.endpoint,
  S3_ACCESS_KEY: s3.accessKey,
  S3_SECRET_KEY: s3.secretKey,
  S3_BUCKET: bucket,
});
