import { Webhook } from 'standardwebhooks';
import { Subjects, systemActor, type QueryReply, type SubscriptionUpsertReplyV1 } from '@lockstep/contracts';
import {
  freePort,
  releasePayload as payload,
  startHttpReceiver,
  startService,
  waitFor,
  type HttpReceiver,
  type ServiceProcess,
} from '@lockstep/testing';
import { createTestDeployment, type TestDeployment } from '../support/control-plane';

const releasePayload = (version = '1.1.0') => payload({ component: 'demo', version, currentVersion: '1.0.0' });

const FAST_RETRIES = '300ms,600ms,1200ms,2400ms,4800ms';

/** Who the queries act as: the API passes the token's identity, this spec talks to the services directly. */
const TEST_ACTOR = systemActor('notifier-e2e');

describe('notifier (processes, real NATS/Postgres/HTTP)', () => {
  let dep: TestDeployment;
  let notifier: ServiceProcess | undefined;
  const receivers: HttpReceiver[] = [];

  const start = async (extra: Record<string, string> = {}) =>
    (notifier = await startService('notifier', {
      ...dep.envFor('notifier'),
      NOTIFIER_RETRY_SCHEDULE: FAST_RETRIES,
      NOTIFIER_ALLOWED_DESTINATIONS: 'loopback',
      NOTIFIER_POLL_INTERVAL: '100ms',
      NOTIFIER_LEASE: '2s',
      ...extra,
    }));
  const subscribe = async (url: string, extra: Record<string, unknown> = {}): Promise<SubscriptionUpsertReplyV1> => {
    const reply = await dep.queries.send<QueryReply<SubscriptionUpsertReplyV1>>('qry.notifier.subscription-upsert.v1', {
      name: 'test',
      channel: 'webhook',
      target: { url },
      eventTypes: ['release.*'],
      actor: TEST_ACTOR,
      ...extra,
    });
    if (!reply.ok) throw new Error(reply.error.message);
    return reply.result;
  };
  const receiver = async (...args: Parameters<typeof startHttpReceiver>) => {
    const r = await startHttpReceiver(...args);
    receivers.push(r);
    return r;
  };

  beforeEach(async () => {
    dep = await createTestDeployment();
    await dep.pg.connect();
  });
  afterEach(async () => {
    await notifier?.kill('SIGTERM');
    notifier = undefined;
    await Promise.all(receivers.splice(0).map((r) => r.stop()));
    await dep.close();
  });

  it('delivers one signed CloudEvent per matching webhook; standardwebhooks verifies it and rejects a tampered body', async () => {
    await start();
    const a = await receiver();
    const b = await receiver();
    const other = await receiver();
    const subA = await subscribe(a.url);
    const subB = await subscribe(b.url);
    await subscribe(other.url, { eventTypes: ['check.failed'] });

    const eventId = await dep.publish(Subjects.ReleaseAvailable, releasePayload(), 'demo');
    const [ra] = await a.waitForRequests(1);
    const [rb] = await b.waitForRequests(1);

    for (const [req, sub] of [
      [ra, subA],
      [rb, subB],
    ] as const) {
      const wh = new Webhook(sub.generatedSecret!);
      const headers = {
        'webhook-id': String(req.headers['webhook-id']),
        'webhook-timestamp': String(req.headers['webhook-timestamp']),
        'webhook-signature': String(req.headers['webhook-signature']),
      };
      const event = wh.verify(req.body, headers) as { id: string; type: string; data: { version: string } };
      expect(event).toMatchObject({
        id: eventId,
        type: 'io.lockstep.release.available.v1',
        data: { version: '1.1.0' },
      });
      expect(() => wh.verify(req.body.replace('1.1.0', '9.9.9'), headers)).toThrow();
    }
    expect(other.requests).toHaveLength(0);
    expect(a.requests).toHaveLength(1);
  });

  it('keeps an event through a SIGKILL while the receiver is down, then delivers it once with the same webhook-id', async () => {
    await start();
    const port = await freePort();
    const sub = await subscribe(`http://127.0.0.1:${port}/hook`);
    const eventId = await dep.publish(Subjects.ReleaseAvailable, releasePayload(), 'demo');
    const firstTry: { id: string } = await waitFor(
      async () => {
        const { rows } = await dep.pg.query(
          `SELECT d.id, d.attempts FROM deliveries d WHERE event_id = $1 AND attempts >= 1`,
          [eventId],
        );
        return rows[0];
      },
      { what: 'a failed first attempt' },
    );

    await notifier!.kill('SIGKILL');
    const back = await receiver({ port });
    await start();
    const [req] = await back.waitForRequests(1);
    const delivered = await waitFor(
      async () => {
        const { rows } = await dep.pg.query(
          `SELECT status FROM deliveries WHERE event_id = $1 AND subscription_id = $2`,
          [eventId, sub.subscription.id],
        );
        return rows.length === 1 && rows[0].status === 'delivered' ? rows : undefined;
      },
      { what: 'delivery recorded as delivered' },
    );
    const { rows: wins } = await dep.pg.query(
      `SELECT count(*)::int AS n FROM delivery_attempts WHERE delivery_id = $1 AND outcome = 'delivered'`,
      [firstTry.id],
    );

    expect(req.headers['webhook-id']).toBe(firstTry.id);
    expect(delivered).toHaveLength(1);
    expect(wins[0].n).toBe(1);
  });

  it('retries 500, 500, 200 with growing gaps; disables an endpoint answering 410', async () => {
    await start();
    const flaky = await receiver({ script: [500, 500, 200] });
    const gone = await receiver({ script: [410] });
    await subscribe(flaky.url);
    const goneSub = await subscribe(gone.url);

    await dep.publish(Subjects.ReleaseAvailable, releasePayload(), 'demo');
    const reqs = await flaky.waitForRequests(3);
    await gone.waitForRequests(1);
    const disabled = await waitFor(
      async () => {
        const { rows } = await dep.pg.query(`SELECT enabled, disabled_reason FROM subscriptions WHERE id = $1`, [
          goneSub.subscription.id,
        ]);
        return rows[0].enabled === false ? rows[0] : undefined;
      },
      { what: '410 endpoint disabled' },
    );
    await dep.publish(Subjects.ReleaseAvailable, releasePayload('1.2.0'), 'demo');
    await flaky.waitForRequests(4);

    const gap1 = reqs[1].at - reqs[0].at;
    const gap2 = reqs[2].at - reqs[1].at;
    expect(new Set(reqs.map((r) => r.headers['webhook-id'])).size).toBe(1);
    expect(gap1).toBeGreaterThanOrEqual(250);
    expect(gap2).toBeGreaterThan(gap1);
    expect(disabled.disabled_reason).toMatch(/410/);
    expect(gone.requests).toHaveLength(1);
  });

  it('dead-letters a delivery after its schedule, replays it on request, and counts attempts in /metrics', async () => {
    await start({ NOTIFIER_RETRY_SCHEDULE: '100ms,200ms' });
    const failing = await receiver({ script: [500] });
    await subscribe(failing.url);

    const eventId = await dep.publish(Subjects.ReleaseAvailable, releasePayload(), 'demo');
    const dead: { id: string; attempts: number } = await waitFor(
      async () => {
        const { rows } = await dep.pg.query(`SELECT id, attempts, status FROM deliveries WHERE event_id = $1`, [
          eventId,
        ]);
        return rows[0]?.status === 'dead' ? rows[0] : undefined;
      },
      { what: 'dead delivery' },
    );
    failing.setScript([200]);
    const replay = await dep.queries.send<QueryReply<{ replayed: number }>>('qry.notifier.dead-letter-replay.v1', {
      actor: TEST_ACTOR,
      deliveryId: dead.id,
    });
    await failing.waitForRequests(4);
    const delivered = await waitFor(
      async () => {
        const { rows } = await dep.pg.query(`SELECT status, attempts FROM deliveries WHERE id = $1`, [dead.id]);
        return rows[0]?.status === 'delivered' ? rows[0] : undefined;
      },
      { what: 'replayed delivery delivered' },
    );
    const metrics = await fetch(`${notifier!.url}/metrics`).then((r) => r.text());

    expect(dead.attempts).toBe(3);
    expect(replay).toEqual({ ok: true, result: { replayed: 1 } });
    expect(delivered.attempts).toBe(4);
    expect(new Set(failing.requests.map((r) => r.headers['webhook-id']))).toEqual(new Set([dead.id]));
    expect(metrics).toMatch(/lockstep_notifier_attempts_total\{[^}]*outcome="retry"[^}]*\} 3/);
    expect(metrics).toMatch(/lockstep_notifier_attempts_total\{[^}]*outcome="delivered"[^}]*\} 1/);
  });

  it('refuses a 127.0.0.1 destination when loopback is not allow-listed', async () => {
    await start({ NOTIFIER_ALLOWED_DESTINATIONS: '' });
    const r = await receiver();

    const reply = await dep.queries.send<QueryReply<SubscriptionUpsertReplyV1>>('qry.notifier.subscription-upsert.v1', {
      actor: TEST_ACTOR,
      name: 'x',
      channel: 'webhook',
      target: { url: r.url },
      eventTypes: ['*'],
    });

    expect(reply).toMatchObject({
      ok: false,
      error: { code: 'DESTINATION_REFUSED', message: expect.stringMatching(/loopback/i) },
    });
  });
});
