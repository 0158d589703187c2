import { Logger } from '@nestjs/common';
import { Queries } from '@lockstep/contracts';
import type { SubscriptionEntity } from '@lockstep/persistence';
import { ApiModule } from './api.module';
import { ComponentsRepository } from './components/components.repository';
import { DeliveriesRepository } from './deliveries/deliveries.repository';
import { ReleasesRepository } from './releases/releases.repository';
import { SubscriptionsRepository } from './subscriptions/subscriptions.repository';
import { startApiTestApp, type ApiTestApp } from './testing/api-test-app';
import { componentEntity, TEST_ROOT as ROOT } from './testing/component-fixtures';

/** The actor the services are handed for a request sent with `app.call`: the test app's owner token. */
const TEST_ACTOR = expect.objectContaining({ kind: 'token', name: 'test-owner', role: 'owner', components: null });

const SUB_ID = '6f1c2a52-3c1e-4a57-9d0e-2b1c3d4e5f60';

const component = componentEntity;
const subscription = (over: Partial<SubscriptionEntity> = {}): SubscriptionEntity => ({
  id: SUB_ID,
  name: 'ops',
  channel: 'slack',
  target: { url: 'https://hooks.slack.com/services/T0/B0/SECRETTOKEN' },
  targetSealed: null,
  eventTypes: ['*'],
  enabled: true,
  disabledReason: null,
  createdAt: new Date(0),
  updatedAt: new Date(0),
  ...over,
});

/** The empty-reply failure Nest's NATS client raises when nobody subscribes to the subject. */
const noResponders = () => new Error('Empty response. There are no subscribers listening to that message ("t.qry")');

describe(ApiModule.name, () => {
  let app: ApiTestApp;
  const send = jest.fn();
  const components = { list: jest.fn(), find: jest.fn() };
  const releases = { list: jest.fn() };
  const subscriptions = { list: jest.fn(), find: jest.fn() };
  const deliveries = { list: jest.fn() };
  const logged: string[] = [];

  const call = (method: string, path: string, body?: unknown, raw?: string) => app.call(method, path, body, raw);

  beforeAll(async () => {
    app = await startApiTestApp({
      send,
      config: { API_QUERY_TIMEOUT: '2s' },
      repositories: [
        [ComponentsRepository, components],
        [ReleasesRepository, releases],
        [SubscriptionsRepository, subscriptions],
        [DeliveriesRepository, deliveries],
      ],
    });
    jest.spyOn(Logger.prototype, 'error').mockImplementation((m: unknown) => void logged.push(String(m)));
  });
  afterAll(() => app.close());
  beforeEach(() => {
    jest.resetAllMocks();
    jest.spyOn(Logger.prototype, 'error').mockImplementation((m: unknown) => void logged.push(String(m)));
    logged.length = 0;
  });

  describe('components', () => {
    it('lists components with the pinned root as a fingerprint only', async () => {
      components.list.mockResolvedValue([
        {
          component: component(),
          state: {
            component: 'demo',
            state: {},
            lastCheckedAt: new Date(1000),
            lastErrorCode: 'METADATA_EXPIRED',
            lastError: 'expired',
          },
        },
      ]);

      const res = await call('GET', '/v1/components');

      expect(res.status).toBe(200);
      expect(res.body.items[0]).toMatchObject({
        name: 'demo',
        source: { mode: 's3', trustedRootSha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
        lastCheckedAt: '1970-01-01T00:00:01.000Z',
        lastError: { code: 'METADATA_EXPIRED', message: 'expired' },
      });
      expect(res.text).not.toContain('_type');
    });

    it('registers through the checker with the name from the path', async () => {
      send.mockResolvedValue({ ok: true, result: {} });
      components.find.mockResolvedValue({ component: component(), state: null });

      const res = await call('PUT', '/v1/components/demo', {
        sourceType: 'tuf',
        currentVersion: '1.0.0',
        sourceConfig: { mode: 's3', trustedRoot: ROOT },
      });

      expect(res.status).toBe(200);
      expect(send).toHaveBeenCalledWith(
        Queries.ComponentUpsert,
        expect.objectContaining({
          name: 'demo',
          scheme: 'semver',
          channel: 'stable',
          sourceType: 'tuf',
          actor: TEST_ACTOR,
        }),
        2000,
      );
      expect(res.body).toMatchObject({ name: 'demo', lastCheckedAt: null, lastError: null });
    });

    it.each([
      ['a bad name', '/v1/components/Bad_Name', { sourceType: 'tuf' }, /invalid path: .*lowercase/],
      [
        'an unknown field',
        '/v1/components/demo',
        { sourceType: 'tuf', source: 'x' },
        /unknown field "source"; allowed fields: scheme, channel, currentVersion, sourceType, sourceConfig/,
      ],
      ['a bad channel', '/v1/components/demo', { sourceType: 'tuf', channel: 'nightly' }, /channel: /],
      [
        'a malformed requirement',
        '/v1/components/demo',
        { sourceType: 'tuf', requires: { config: 'banana' } },
        /requires.*config.*not a version range/,
      ],
    ])('answers 400 for %s', async (_name, path, body, message) => {
      const res = await call('PUT', path, body);

      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'INVALID_REQUEST', detail: expect.stringMatching(message) });
      expect(send).not.toHaveBeenCalled();
    });

    it('forwards requirements to the checker and shows them', async () => {
      send.mockResolvedValue({ ok: true, result: {} });
      components.find.mockResolvedValue({ component: component({ requires: { config: '>=2.0.0' } }), state: null });

      const res = await call('PUT', '/v1/components/demo', { sourceType: 'tuf', requires: { config: '>=2.0.0' } });

      expect(res.status).toBe(200);
      expect(send).toHaveBeenCalledWith(
        Queries.ComponentUpsert,
        expect.objectContaining({ name: 'demo', requires: { config: '>=2.0.0' } }),
        2000,
      );
      expect(res.body).toMatchObject({ name: 'demo', requires: { config: '>=2.0.0' } });
    });

    it("passes the checker's refusal on as 400 with its code and message", async () => {
      send.mockResolvedValue({
        ok: false,
        error: { code: 'VERSION_INVALID', message: '"1.0" is not a valid semver version' },
      });

      const res = await call('PUT', '/v1/components/demo', { sourceType: 'tuf', currentVersion: '1.0' });

      expect(res).toMatchObject({
        status: 400,
        body: { code: 'VERSION_INVALID', detail: '"1.0" is not a valid semver version' },
      });
    });
  });

  describe('checks', () => {
    it('asks the checker with the long check timeout and returns its results', async () => {
      send.mockResolvedValue({ ok: true, result: [{ component: 'demo', ok: true, announced: ['1.1.0'] }] });

      const res = await call('POST', '/v1/checks', { component: 'demo' });

      expect(res).toMatchObject({
        status: 200,
        body: { results: [{ component: 'demo', ok: true, announced: ['1.1.0'] }] },
        text: expect.any(String),
      });
      expect(send).toHaveBeenCalledWith(Queries.CheckNow, { component: 'demo', actor: TEST_ACTOR }, 180_000);
    });

    it.each([
      [
        502,
        'nobody answers',
        noResponders(),
        'SERVICE_UNAVAILABLE',
        /the checker is not running or not reachable over NATS/,
      ],
      [
        504,
        'the checker is silent',
        Object.assign(new Error('Timeout has occurred'), { name: 'TimeoutError' }),
        'SERVICE_TIMEOUT',
        /the checker did not answer .* within 180000 ms/,
      ],
      [
        502,
        'the handler failed',
        { status: 'error', message: 'Internal server error' },
        'SERVICE_FAILED',
        /the checker failed while handling .*Internal server error/,
      ],
    ])('answers %i when %s', async (status, _name, error, code, message) => {
      send.mockRejectedValue(error);

      const res = await call('POST', '/v1/checks', {});

      expect(res.status).toBe(status);
      expect(res.body).toMatchObject({ code, detail: expect.stringMatching(message) });
    });

    it('maps NOT_FOUND from the checker to 404', async () => {
      send.mockResolvedValue({ ok: false, error: { code: 'NOT_FOUND', message: 'component x is not registered' } });

      const res = await call('POST', '/v1/checks', { component: 'x' });

      expect(res.status).toBe(404);
    });
  });

  describe('subscriptions', () => {
    it('lists through the shared view: Slack tokens masked, nothing secret', async () => {
      subscriptions.list.mockResolvedValue([
        subscription(),
        subscription({
          channel: 'webhook',
          target: { url: 'https://u:pw@example.com/hook?token=abc', secrets: ['whsec_AAAA'] },
        }),
      ]);

      const res = await call('GET', '/v1/subscriptions');

      expect(res.body.items.map((s: { url: string; secretCount: number }) => [s.url, s.secretCount])).toEqual([
        ['https://hooks.slack.com/services/***', 0],
        ['https://example.com/hook', 1],
      ]);
      expect(res.text).not.toMatch(/SECRETTOKEN|whsec_|pw@|token=abc/);
    });

    it('creates through the notifier and returns the generated secret once', async () => {
      send.mockResolvedValue({ ok: true, result: { subscription: { id: SUB_ID }, generatedSecret: 'whsec_new' } });

      const res = await call('POST', '/v1/subscriptions', {
        name: 'ops',
        channel: 'webhook',
        target: { url: 'https://example.com' },
      });

      expect(res).toMatchObject({ status: 201, body: { subscription: { id: SUB_ID }, generatedSecret: 'whsec_new' } });
      expect(send).toHaveBeenCalledWith(
        Queries.SubscriptionUpsert,
        {
          name: 'ops',
          channel: 'webhook',
          target: { url: 'https://example.com' },
          eventTypes: ['*'],
          enabled: true,
          actor: TEST_ACTOR,
        },
        2000,
      );
    });

    it('says the notifier is not running when nobody answers', async () => {
      send.mockRejectedValue(noResponders());

      const res = await call('POST', '/v1/subscriptions', {
        name: 'ops',
        channel: 'webhook',
        target: { url: 'https://example.com' },
      });

      expect(res.status).toBe(502);
      expect(res.body.detail).toMatch(/^the notifier is not running or not reachable over NATS/);
    });

    it('patches by sending the stored fields with the changed ones', async () => {
      subscriptions.find.mockResolvedValue(subscription({ eventTypes: ['release.*'] }));
      send.mockResolvedValue({ ok: true, result: { subscription: { id: SUB_ID, enabled: false } } });

      const res = await call('PATCH', `/v1/subscriptions/${SUB_ID}`, { enabled: false });

      expect(res.status).toBe(200);
      expect(send).toHaveBeenCalledWith(
        Queries.SubscriptionUpsert,
        {
          id: SUB_ID,
          name: 'ops',
          channel: 'slack',
          target: {},
          eventTypes: ['release.*'],
          enabled: false,
          actor: TEST_ACTOR,
        },
        2000,
      );
    });

    it.each([
      ['an unknown id', SUB_ID, { enabled: false }, 404, /does not exist/],
      ['a malformed id', 'abc', { enabled: false }, 400, /expected a subscription id/],
      ['an empty change', SUB_ID, {}, 400, /send at least one of/],
      ['a channel change', SUB_ID, { channel: 'webhook' }, 400, /unknown field "channel"/],
    ])('refuses a patch with %s', async (_name, id, body, status, message) => {
      subscriptions.find.mockResolvedValue(null);

      const res = await call('PATCH', `/v1/subscriptions/${id}`, body);

      expect(res.status).toBe(status);
      expect(res.body.detail).toMatch(message);
    });

    it('deletes with 204', async () => {
      send.mockResolvedValue({ ok: true, result: { deleted: true } });

      const res = await call('DELETE', `/v1/subscriptions/${SUB_ID}`);

      expect(res.status).toBe(204);
      expect(send).toHaveBeenCalledWith(Queries.SubscriptionDelete, { id: SUB_ID, actor: TEST_ACTOR }, 2000);
    });
  });

  describe('deliveries and dead letters', () => {
    it('passes parsed filters to the repository, limit defaulting to 50', async () => {
      deliveries.list.mockResolvedValue([]);

      await call('GET', `/v1/deliveries?subscription=${SUB_ID}&status=dead&event=release.*`);
      await call('GET', '/v1/dead-letters?limit=3');

      expect(deliveries.list).toHaveBeenNthCalledWith(1, {
        subscription: SUB_ID,
        status: 'dead',
        event: 'release.*',
        limit: 50,
      });
      expect(deliveries.list).toHaveBeenNthCalledWith(2, { limit: 3, status: 'dead' });
    });

    it.each([
      ['limit=0', /limit must be a whole number from 1 to 200/],
      ['limit=201', /limit must be a whole number from 1 to 200/],
      ['status=lost', /status must be one of pending, delivered, dead, cancelled/],
      ['subscription=1', /expected a subscription id/],
      ['sub=1', /unknown field "sub"/],
    ])('answers 400 for %s', async (qs, message) => {
      const res = await call('GET', `/v1/deliveries?${qs}`);

      expect(res.status).toBe(400);
      expect(res.body.detail).toMatch(message);
    });

    it('replays through the notifier', async () => {
      send.mockResolvedValue({ ok: true, result: { replayed: 2 } });

      const res = await call('POST', '/v1/dead-letters/replay', { subscriptionId: SUB_ID });

      expect(res.body).toEqual({ replayed: 2 });
      expect(send).toHaveBeenCalledWith(Queries.DeadLetterReplay, { subscriptionId: SUB_ID, actor: TEST_ACTOR }, 2000);
    });
  });

  describe('errors', () => {
    it('answers bad JSON with 400 INVALID_JSON', async () => {
      const res = await call('POST', '/v1/checks', undefined, '{bad');

      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toEqual({
        type: 'https://lockstep.dev/problems/invalid-json',
        title: 'Bad Request',
        status: 400,
        code: 'INVALID_JSON',
        detail: expect.stringMatching(/^request body is not valid JSON/),
      });
    });

    it('answers an unknown route with 404 pointing at the OpenAPI document', async () => {
      const res = await call('GET', '/v1/nothing');

      expect(res).toMatchObject({
        status: 404,
        body: { code: 'NOT_FOUND', status: 404, detail: expect.stringContaining('/v1/openapi.json') },
      });
    });

    it('logs an unexpected failure with an id and answers 500 with the same id', async () => {
      releases.list.mockRejectedValue(new Error('connection terminated'));

      const res = await call('GET', '/v1/releases');

      expect(res.status).toBe(500);
      const id = /\(error id ([0-9a-f]+)\)$/.exec(res.body.detail)?.[1];
      expect(res.body.code).toBe('INTERNAL');
      expect(res.text).not.toContain('connection terminated');
      expect(logged.join('\n')).toContain(`error id ${id}`);
      expect(logged.join('\n')).toContain('connection terminated');
    });
  });

  it('serves the OpenAPI document', async () => {
    const res = await call('GET', '/v1/openapi.json');

    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
  });
});
