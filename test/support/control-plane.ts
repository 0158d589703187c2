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

/**
 * Collects every event published in a deployment's namespace, from the start of its stream.
 * An ordered consumer does not always resume after the stream's leader was killed (a fault
 * run once saw it stall for good at one sequence), so `caughtUp` reads whatever it still
 * lacks straight from the stream by sequence; an event is kept once, in stream order.
 */
export async function collectEvents(dep: TestDeployment): Promise<CollectedEvents> {
  const js = jetstream(dep.nc);
  const stream = `${dep.namespace.toUpperCase()}_EVENTS`;
  const consumer = await js.consumers.get(stream);
  // short pulls, as the services' consumers use: after a NATS server dies it recovers in seconds, not 30 s
  const messages = await consumer.consume({ expires: 5000 });
  const events: CollectedEvents['events'] = [];
  const have = new Set<number>();
  /** Every sequence up to this one is collected (or is not in the stream any more). */
  let contiguous = 0;
  const keep = (m: { seq: number; subject: string; json<T>(): T }) => {
    if (have.has(m.seq)) return;
    have.add(m.seq);
    const ev = m.json<{ id: string; type: string; data: Record<string, unknown> }>();
    const entry = { seq: m.seq, id: ev.id, subject: m.subject, type: ev.type, data: ev.data };
    let at = events.length;
    while (at > 0 && events[at - 1].seq > m.seq) at--;
    events.splice(at, 0, entry);
    while (have.has(contiguous + 1)) contiguous++;
  };
  const done = (async () => {
    for await (const m of messages) keep(m);
  })();
  return {
    events,
    async caughtUp(timeoutMs = 30_000) {
      const jsm = await jetstreamManager(dep.nc);
      const target = (await jsm.streams.info(stream)).state.last_seq;
      const reached = () => contiguous >= target;
      // the consumer normally gets there by itself; give it a few seconds before reading around it
      await waitFor(reached, { timeoutMs: Math.min(timeoutMs, 5000), intervalMs: 100, what: 'the collector' }).catch(
        () => undefined,
      );
      await waitFor(
        async () => {
          for (let seq = contiguous + 1; seq <= target; seq++) {
            if (have.has(seq)) continue;
            const m = await jsm.streams.getMessage(stream, { seq }).catch(() => undefined);
            if (m === undefined) return false; // the stream has no leader yet: try again
            if (m === null)
              have.add(seq); // not in the stream (deleted): nothing to collect
            else keep(m);
          }
          while (have.has(contiguous + 1)) contiguous++;
          return reached();
        },
        {
          timeoutMs,
          intervalMs: 250,
          what: `the event collector to reach ${stream} sequence ${target} (at ${contiguous})`,
        },
      );
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
