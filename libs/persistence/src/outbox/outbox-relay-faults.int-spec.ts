import { Streams, Subjects, type CheckFailedV1 } from '@lockstep/contracts';
import { ensureStreams, EventPublisher, NatsClient } from '@lockstep/messaging';
import { createDataSource, enqueueEvent, OutboxMessageEntity, OutboxRelay, runMigrations } from '@lockstep/persistence';
import { createTestDatabase, startNatsServer, uniqueName, waitFor, type TestDatabase } from '@lockstep/testing';
import type { Subscription } from '@nats-io/nats-core';
import type { DataSource } from 'typeorm';

const servers = [process.env.LOCKSTEP_TEST_NATS_URL ?? 'nats://127.0.0.1:4222'];
const failure = (reason: string): CheckFailedV1 => ({
  component: 'demo',
  source: 'tuf',
  code: 'SOURCE_UNREACHABLE',
  reason,
});

/** What NATS can never take must not stall the outbox, and replicas must not reorder an aggregate. */
describe(`${OutboxRelay.name} faults`, () => {
  const namespace = uniqueName('obf');
  let db: TestDatabase;
  let ds: DataSource;
  let nats: NatsClient;
  let sub: Subscription;
  /** check.failed events in the order the server received them: CloudEvent subject and reason. */
  const published: { aggregate: string; reason: string }[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = createDataSource(db.url);
    await ds.initialize();
    await runMigrations(ds);
    nats = new NatsClient({ service: 'spec', connection: { NATS_URL: servers }, namespace, handles: [] });
    await nats.connect();
    await ensureStreams(nats.jsm, namespace, 1);
    sub = nats.nc.subscribe(nats.subject(Subjects.CheckFailed));
    void (async () => {
      for await (const m of sub) {
        const event = m.json<{ subject: string; data: CheckFailedV1 }>();
        published.push({ aggregate: event.subject, reason: event.data.reason });
      }
    })();
  });
  afterAll(async () => {
    sub.unsubscribe();
    for (const s of Object.values(Streams)) await nats.jsm.streams.delete(nats.stream(s.name)).catch(() => undefined);
    await nats.onApplicationShutdown();
    await ds.destroy();
    await db.drop();
  });
  beforeEach(async () => {
    published.length = 0;
    await ds.query('DELETE FROM outbox');
  });

  const relay = () => new OutboxRelay(ds, new EventPublisher(nats), nats);
  const enqueue = (reason: string, aggregate = 'demo') =>
    ds.transaction((m) =>
      enqueueEvent(m, Subjects.CheckFailed, failure(reason), { source: '/lockstep/spec', subject: aggregate }),
    );
  const pending = () => ds.getRepository(OutboxMessageEntity).count();
  const deadLetters = (): Promise<{ subject: string; event_id: string; reason: string }[]> =>
    ds.query('SELECT subject, event_id, reason FROM outbox_dead_letters ORDER BY id');

  it('moves a row too large for NATS to the dead letters with the reason, and publishes the rows after it', async () => {
    const sut = relay();
    const big = await enqueue('x'.repeat(nats.nc.info!.max_payload + 1));
    await enqueue('after the big one');

    await sut.flush();

    await waitFor(() => published.some((p) => p.reason === 'after the big one'), { what: 'the later row' });
    expect(await pending()).toBe(0);
    expect(await deadLetters()).toEqual([
      { subject: Subjects.CheckFailed, event_id: big.id, reason: expect.stringMatching(/max_payload/) },
    ]);
  });

  it('moves a row whose subject no stream captures to the dead letters, and publishes the rows after it', async () => {
    const sut = relay();
    await ds
      .getRepository(OutboxMessageEntity)
      .insert({
        subject: 'not.captured.by.any.stream.v1',
        eventId: 'nowhere',
        aggregate: 'demo',
        event: { id: 'nowhere' },
      });
    await enqueue('after the lost one');

    await sut.flush();

    await waitFor(() => published.some((p) => p.reason === 'after the lost one'), { what: 'the later row' });
    expect(await pending()).toBe(0);
    expect(await deadLetters()).toContainEqual({
      subject: 'not.captured.by.any.stream.v1',
      event_id: 'nowhere',
      reason: expect.stringMatching(/no stream/),
    });
  });

  it('moves a row on a subject its NATS user may not publish to the dead letters, and publishes the rows after it', async () => {
    const server = await startNatsServer({
      config: `authorization { users = [ { user: relay, password: pw, permissions: {
        publish: { allow: ["${namespace}.evt.>", "$JS.API.>"] }, subscribe: { allow: ["_INBOX_relay.>"] } } } ] }`,
    });
    const limited = new NatsClient({
      service: 'spec',
      connection: { NATS_URL: [server.url], NATS_USER: 'relay', NATS_PASSWORD: 'pw' },
      namespace,
      handles: [],
    });
    try {
      await limited.connect();
      await ensureStreams(limited.jsm, namespace, 1);
      const sut = new OutboxRelay(ds, new EventPublisher(limited), limited);
      await ds
        .getRepository(OutboxMessageEntity)
        .insert({
          subject: 'cmd.not.permitted.v1',
          eventId: 'forbidden',
          aggregate: 'demo',
          event: { id: 'forbidden' },
        });
      await enqueue('after the forbidden one');

      expect(await sut.flush()).toBe(1);

      expect(await pending()).toBe(0);
      expect(await deadLetters()).toContainEqual({
        subject: 'cmd.not.permitted.v1',
        event_id: 'forbidden',
        reason: expect.stringMatching(/Permissions Violation/i),
      });
    } finally {
      await limited.onApplicationShutdown();
      await server.stop();
    }
  });

  it('keeps the rows NATS could not take while it is unreachable, dead-letters none, and retries them', async () => {
    const down = new EventPublisher(nats);
    const publish = down.publishMessage.bind(down);
    jest
      .spyOn(down, 'publishMessage')
      .mockImplementationOnce(publish)
      .mockRejectedValue(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4222'), { code: 'ECONNREFUSED' }));
    const sut = new OutboxRelay(ds, down, nats);
    const before = (await deadLetters()).length;
    await enqueue('before the outage');
    await enqueue('during the outage');

    await expect(sut.flush()).rejects.toThrow(/ECONNREFUSED/);

    expect(await pending()).toBe(1);
    expect(await deadLetters()).toHaveLength(before);
    expect(await relay().flush()).toBe(1);
    await waitFor(() => published.length === 2, { what: 'both rows' });
    expect(published.map((p) => p.reason)).toEqual(['before the outage', 'during the outage']);
  });

  /** Lets two relays drain the outbox at once; resolves with how many rows each published. */
  const drainWithTwoRelays = () => {
    const drain = async (sut: OutboxRelay) => {
      let total = 0;
      while ((await pending()) > 0) {
        const n = await sut.flush();
        total += n;
        if (n === 0) await new Promise((r) => setTimeout(r, 5));
      }
      return total;
    };
    return Promise.all([drain(relay()), drain(relay())]);
  };
  /** Sequence numbers (the events' reasons) of each aggregate, in the order the stream received them. */
  const publishedOrder = (aggregate: string) =>
    published.filter((p) => p.aggregate === aggregate).map((p) => Number(p.reason));
  const sequence = (n: number) => [...Array(n).keys()];

  it('two relays at once publish the rows of each aggregate in commit order', async () => {
    // the aggregates' rows alternate, so every claim holds rows of every aggregate
    const aggregates = ['slot-a', 'slot-b', 'slot-c'];
    const perAggregate = 250;
    for (let i = 0; i < perAggregate; i++) {
      await ds.transaction(async (m) => {
        for (const a of aggregates) {
          await enqueueEvent(m, Subjects.CheckFailed, failure(String(i)), { source: '/lockstep/spec', subject: a });
        }
      });
    }

    await drainWithTwoRelays();

    await waitFor(() => published.length >= aggregates.length * perAggregate, { what: 'every row' });
    for (const a of aggregates) expect(publishedOrder(a)).toEqual(sequence(perAggregate));
  });

  it('two relays at once share the work when aggregates allow, still in commit order per aggregate', async () => {
    // runs of 40 rows per aggregate: a claim of 200 holds the start of some aggregates and the
    // continuation of others, so each relay finds rows it may publish while the other works
    const aggregates = ['slot-a', 'slot-b', 'slot-c', 'slot-d', 'slot-e', 'slot-f'];
    const rounds = 5;
    const run = 40;
    for (let round = 0; round < rounds; round++) {
      for (const a of aggregates) {
        await ds.transaction(async (m) => {
          for (let i = round * run; i < (round + 1) * run; i++) {
            await enqueueEvent(m, Subjects.CheckFailed, failure(String(i)), { source: '/lockstep/spec', subject: a });
          }
        });
      }
    }

    const shares = await drainWithTwoRelays();

    expect(shares.every((n) => n > 0)).toBe(true);
    await waitFor(() => published.length >= aggregates.length * rounds * run, { what: 'every row' });
    for (const a of aggregates) expect(publishedOrder(a)).toEqual(sequence(rounds * run));
  });
});
