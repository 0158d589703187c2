import { Subjects, type MessageDeadLetteredV1 } from '@lockstep/contracts';
import { ensureStreams, EventPublisher, NatsClient } from '@lockstep/messaging';
import { enqueueEvent, OutboxMessageEntity, OutboxRelay } from '@lockstep/persistence';
import { startNatsServer, waitFor } from '@lockstep/testing';
import { MetricsRegistry } from '@lockstep/telemetry';
import type { DataSource } from 'typeorm';
import { checkFailure as failure, startOutboxFixture, type OutboxFixture } from '../testing/outbox-fixture';

/** What NATS can never take must not stall the outbox, and replicas must not reorder an aggregate. */
describe(`${OutboxRelay.name} faults`, () => {
  let fixture: OutboxFixture;
  let namespace: string;
  let ds: DataSource;
  let nats: NatsClient;
  /** check.failed events in the order the server received them: CloudEvent subject and reason. */
  const published = () => fixture.checkFailed.map((e) => ({ aggregate: e.subject, reason: e.data.reason }));

  /** message.dead_lettered alerts published so far. */
  const alerts: { data: MessageDeadLetteredV1 }[] = [];

  beforeAll(async () => {
    fixture = await startOutboxFixture('obf');
    ({ namespace, ds, nats } = fixture);
    const sub = nats.nc.subscribe(nats.subject(Subjects.MessageDeadLettered));
    void (async () => {
      for await (const m of sub) alerts.push(m.json());
    })();
  });
  afterAll(() => fixture.stop());
  beforeEach(async () => {
    fixture.checkFailed.length = 0;
    alerts.length = 0;
    await ds.query('DELETE FROM outbox');
    await ds.query('DELETE FROM outbox_dead_letters');
  });

  const relay = (metrics?: MetricsRegistry) => new OutboxRelay(ds, new EventPublisher(nats), nats, undefined, metrics);
  const enqueue = (reason: string, aggregate = 'demo') =>
    ds.transaction((m) =>
      enqueueEvent(m, Subjects.CheckFailed, failure(reason), { source: '/lockstep/spec', subject: aggregate }),
    );
  /** Writes a row as it stands, not through enqueueEvent (which only takes contract subjects). */
  const insertRow = (subject: string, eventId: string, event: object) =>
    ds.getRepository(OutboxMessageEntity).insert({ subject, eventId, aggregate: 'demo', event: event as never });
  const pending = () => ds.getRepository(OutboxMessageEntity).count();
  const deadLetters = (): Promise<{ subject: string; event_id: string; reason: string }[]> =>
    ds.query('SELECT subject, event_id, reason FROM outbox_dead_letters ORDER BY id');

  it.each([
    [
      'too large for NATS',
      Subjects.CheckFailed,
      () => ({ data: 'x'.repeat(nats.nc.info!.max_payload + 1) }),
      /too large for NATS: .*max_payload/,
    ],
    ['whose subject no stream captures', 'not.captured.by.any.stream.v1', () => ({}), /no stream captures/],
  ])(
    'moves a row %s to the dead letters with the reason, and publishes the rows after it',
    async (_case, subject, body, reason) => {
      const metrics = new MetricsRegistry({ serviceName: 'spec', defaultMetrics: false });
      const sut = relay(metrics);
      await insertRow(subject, 'poison', body());
      await enqueue('after the poison');

      await sut.flush();

      await waitFor(() => published().some((p) => p.reason === 'after the poison'), { what: 'the later row' });
      const alert = (await waitFor(() => alerts.find((a) => a.data.eventId === 'poison'), { what: 'the alert' }))!;
      expect(await pending()).toBe(0);
      expect(await deadLetters()).toEqual([{ subject, event_id: 'poison', reason: expect.stringMatching(reason) }]);
      const [row] = await ds.query<{ id: string }[]>('SELECT id FROM outbox_dead_letters');
      expect(alert.data).toEqual({
        kind: 'outbox',
        id: String(row.id),
        service: 'spec',
        subject,
        eventId: 'poison',
        reason: expect.stringMatching(reason),
      });
      expect(await metrics.render()).toContain(
        `lockstep_outbox_dead_letters_total{subject="${subject}",service="spec"} 1`,
      );
    },
  );

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
      await insertRow('cmd.not.permitted.v1', 'forbidden', {});
      await enqueue('after the forbidden one');

      expect(await sut.flush()).toBe(2); // the later row, and the alert about the forbidden one

      expect(await pending()).toBe(0);
      expect(await deadLetters()).toEqual([
        {
          subject: 'cmd.not.permitted.v1',
          event_id: 'forbidden',
          reason: expect.stringMatching(/Permissions Violation/i),
        },
      ]);
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
    await enqueue('before the outage');
    await enqueue('during the outage');

    await expect(sut.flush()).rejects.toThrow(/ECONNREFUSED/);

    expect(await pending()).toBe(1);
    expect(await deadLetters()).toEqual([]);
    expect(await relay().flush()).toBe(1);
    await waitFor(() => published().length === 2, { what: 'both rows' });
    expect(published().map((p) => p.reason)).toEqual(['before the outage', 'during the outage']);
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
    published()
      .filter((p) => p.aggregate === aggregate)
      .map((p) => Number(p.reason));
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

    await waitFor(() => published().length >= aggregates.length * perAggregate, { what: 'every row' });
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
    await waitFor(() => published().length >= aggregates.length * rounds * run, { what: 'every row' });
    for (const a of aggregates) expect(publishedOrder(a)).toEqual(sequence(rounds * run));
  });
});
