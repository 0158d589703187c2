import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { AgentPool, AllowList, DestinationRefusedError } from '@lockstep/net-guard';
import { AttemptOutcome, type DeliverOptions } from '../http/delivery.types';
import { attemptDelivery, validateSubscriptionTarget } from './channel-delivery';
import { discordChannel } from './discord';
import { releaseEvent } from '@lockstep/testing';
import { InvalidTargetError, UnknownNotificationChannelError } from './notification-channel';
import { createSlackChannel, SlackRateLimiter } from './slack';
import { generateWebhookSecret, webhookChannel } from './webhook';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

describe(attemptDelivery.name, () => {
  let server: Server;
  let handler: Handler;
  let base: string;
  const agents = new AgentPool();
  const options: DeliverOptions = { allowList: AllowList.parse('loopback'), timeoutMs: 2000, agents };

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => handler(req, Buffer.concat(chunks).toString(), res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    agents.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('delivers a signed webhook the receiver verifies with standardwebhooks', async () => {
    const secret = generateWebhookSecret();
    let verified: unknown;
    handler = (req, body, res) => {
      verified = new Webhook(secret).verify(body, req.headers as Record<string, string>);
      res.writeHead(204).end();
    };
    const target = webhookChannel.validateTarget({ url: `${base}/hook`, secrets: [secret] });
    const event = releaseEvent();

    const sut = await attemptDelivery(webhookChannel, event, target, { attempt: 1 }, options);

    expect(sut).toMatchObject({ outcome: AttemptOutcome.Delivered, status: 204 });
    expect(verified).toEqual(event);
  });

  it('paces Slack per URL and backs off after a 429', async () => {
    const limiter = new SlackRateLimiter(100);
    const slack = createSlackChannel(limiter);
    const seen: number[] = [];
    handler = (_req, body, res) => {
      seen.push(Date.now());
      expect(JSON.parse(body)).toMatchObject({ text: expect.any(String), blocks: expect.any(Array) });
      if (seen.length === 2) res.writeHead(429, { 'retry-after': '1' }).end('rate_limited');
      else res.end('ok');
    };
    const target = slack.validateTarget({ url: `${base}/services/T0/B0/token` });

    const results = [];
    const started = Date.now();
    for (let i = 0; i < 3; i++)
      results.push(await attemptDelivery(slack, releaseEvent(), target, { attempt: 1 }, options));

    expect(results.map((r) => r?.outcome)).toEqual([
      AttemptOutcome.Delivered,
      AttemptOutcome.Retry,
      AttemptOutcome.Delivered,
    ]);
    expect(results[1]?.retryAfterMs).toBe(1000);
    // The second send waits for its 100 ms slot; the third for the 1 s the 429 asked for.
    expect(seen[1] - started).toBeGreaterThanOrEqual(95);
    expect(seen[2] - started).toBeGreaterThanOrEqual(1095);
  });

  it("honours Discord's JSON retry_after", async () => {
    handler = (_req, _body, res) =>
      res
        .writeHead(429, { 'content-type': 'application/json' })
        .end('{"message":"You are being rate limited.","retry_after":2.5,"global":false}');
    const target = discordChannel.validateTarget({ url: `${base}/api/webhooks/1/token` });

    const sut = await attemptDelivery(discordChannel, releaseEvent(), target, { attempt: 1 }, options);

    expect(sut).toMatchObject({ outcome: AttemptOutcome.Retry, status: 429, retryAfterMs: 2500 });
  });

  it('fails permanently, without the secret, when a stored secret is broken', async () => {
    const broken = { url: `${base}/hook`, secrets: ['whsec_broken'], contentType: 'application/json' as const };

    const sut = await attemptDelivery(webhookChannel, releaseEvent(), broken, { attempt: 1 }, options);

    expect(sut?.outcome).toBe(AttemptOutcome.FailedPermanently);
    expect(sut?.error).not.toMatch(/whsec_broken/);
  });

  it('sends nothing and reports no attempt when the wait for the rate limit is aborted', async () => {
    const limiter = new SlackRateLimiter(60_000);
    const slack = createSlackChannel(limiter);
    let received = 0;
    handler = (_req, _body, res) => {
      received++;
      res.end('ok');
    };
    const target = slack.validateTarget({ url: `${base}/services/T0/B0/token` });
    const stop = new AbortController();
    await attemptDelivery(slack, releaseEvent(), target, { attempt: 1 }, options);
    const waiting = attemptDelivery(
      slack,
      releaseEvent(),
      target,
      { attempt: 1 },
      { ...options, waitSignal: stop.signal },
    );

    stop.abort();
    const sut = await waiting;

    expect(sut).toBeUndefined();
    expect(received).toBe(1);
  });

  it('counts a rate limit that fails on its own (no abort) as an attempt to retry, sending nothing', async () => {
    let received = 0;
    handler = (_req, _body, res) => {
      received++;
      res.end('ok');
    };
    const failing = {
      ...webhookChannel,
      throttle: () => Promise.reject(new Error('limiter broke')),
    };

    const target = webhookChannel.validateTarget({ url: `${base}/hook`, secrets: [generateWebhookSecret()] });

    const sut = await attemptDelivery(failing, releaseEvent(), target, { attempt: 1 }, options);

    expect(sut).toMatchObject({ outcome: AttemptOutcome.Retry, error: expect.stringContaining('limiter broke') });
    expect(received).toBe(0);
  });
});

describe(validateSubscriptionTarget.name, () => {
  it('returns the parsed target and the checked destination', async () => {
    const sut = await validateSubscriptionTarget(
      'discord',
      { url: 'http://127.0.0.1:9/api/webhooks/1/t' },
      AllowList.parse('loopback'),
    );

    expect(sut.channel.id).toBe('discord');
    expect(sut.destination).toMatchObject({ address: '127.0.0.1', addressClass: 'loopback' });
  });

  it.each([
    ['sms', {}, UnknownNotificationChannelError],
    ['slack', { url: 42 }, InvalidTargetError],
    ['slack', { url: 'http://169.254.169.254/services/x' }, DestinationRefusedError],
  ])('refuses a %s target %j', async (channel, config, error) => {
    await expect(validateSubscriptionTarget(channel, config, AllowList.none())).rejects.toBeInstanceOf(error);
  });
});
