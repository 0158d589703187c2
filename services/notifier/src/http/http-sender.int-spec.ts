import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AgentPool, AllowList, systemResolver, type HostResolver } from '@lockstep/net-guard';
import { AttemptOutcome, type DeliverOptions } from './delivery.types';
import { deliver } from './http-sender';

interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  remoteAddress?: string;
  remotePort?: number;
}

/** A loopback server whose answer each test sets; records what it received. */
class TestReceiver {
  readonly received: Received[] = [];
  connections = 0;
  handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end('ok');
  private server!: Server;

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.received.push({
          path: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString(),
          remoteAddress: req.socket.remoteAddress,
          remotePort: req.socket.remotePort,
        });
        this.handler(req, res);
      });
    });
    this.server.on('connection', () => this.connections++);
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  url(path = '/hook'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  reset(): void {
    this.received.length = 0;
    this.connections = 0;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

const request = (url: string, body = '{"hello":"world"}') => ({
  url,
  headers: { 'content-type': 'application/json' },
  body: Buffer.from(body),
});

describe(deliver.name, () => {
  const receiver = new TestReceiver();
  const agents = new AgentPool();
  const options: DeliverOptions = { allowList: AllowList.parse('loopback'), timeoutMs: 2000, agents };

  beforeAll(() => receiver.start());
  afterAll(async () => {
    agents.destroy();
    await receiver.stop();
  });
  beforeEach(() => {
    receiver.reset();
    receiver.handler = (_req, res) => res.end('ok');
  });

  it('delivers on 200, sending the exact body with its length', async () => {
    receiver.handler = (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('thanks');

    const sut = await deliver(request(receiver.url('/hook?x=1')), options);

    expect(sut).toMatchObject({
      outcome: AttemptOutcome.Delivered,
      status: 200,
      responseSnippet: 'thanks',
      address: '127.0.0.1',
    });
    expect(sut.durationMs).toBeGreaterThanOrEqual(0);
    expect(sut.error).toBeUndefined();
    expect(receiver.received[0]).toMatchObject({ path: '/hook?x=1', body: '{"hello":"world"}' });
    expect(receiver.received[0].headers['content-length']).toBe('17');
  });

  it('reuses the keep-alive connection for the next attempt', async () => {
    await deliver(request(receiver.url()), options);
    await deliver(request(receiver.url()), options);

    expect(receiver.received).toHaveLength(2);
    expect(receiver.connections).toBeLessThanOrEqual(1);
  });

  it.each([
    [500, AttemptOutcome.Retry],
    [404, AttemptOutcome.Retry],
    [401, AttemptOutcome.Retry],
    [410, AttemptOutcome.Gone],
    [204, AttemptOutcome.Delivered],
  ])('maps %i to %s', async (status, outcome) => {
    receiver.handler = (_req, res) => res.writeHead(status).end(status === 204 ? undefined : `status ${status}`);

    const sut = await deliver(request(receiver.url()), options);

    expect(sut).toMatchObject({ outcome, status });
    if (outcome !== AttemptOutcome.Delivered) expect(sut.error).toMatch(new RegExp(`destination answered ${status}`));
  });

  it.each([
    [429, { 'retry-after': '7' }, '', 7000],
    [503, { 'retry-after': '3' }, '', 3000],
    [
      429,
      { 'retry-after': '1', 'content-type': 'application/json' },
      '{"message":"You are being rate limited.","retry_after":1.5,"global":false}',
      1500,
    ],
    [429, {}, '', undefined],
  ])('retries %i honouring %j', async (status, headers, body, retryAfterMs) => {
    receiver.handler = (_req, res) => res.writeHead(status, headers).end(body);

    const sut = await deliver(request(receiver.url()), options);

    expect(sut).toMatchObject({ outcome: AttemptOutcome.Retry, status, retryAfterMs });
  });

  it('reads an HTTP-date Retry-After as the time until then', async () => {
    receiver.handler = (_req, res) =>
      res.writeHead(429, { 'retry-after': new Date(Date.now() + 60_000).toUTCString() }).end();

    const sut = await deliver(request(receiver.url()), options);

    expect(sut.retryAfterMs).toBeGreaterThan(55_000);
    expect(sut.retryAfterMs).toBeLessThanOrEqual(60_000);
  });

  it('does not follow a 302 and says so without repeating the Location path', async () => {
    receiver.handler = (req, res) =>
      req.url === '/hook'
        ? res.writeHead(302, { location: `${receiver.url('/elsewhere?token=abc')}` }).end()
        : res.end('followed');

    const sut = await deliver(request(receiver.url()), options);

    expect(sut).toMatchObject({ outcome: AttemptOutcome.FailedPermanently, status: 302 });
    expect(sut.error).toMatch(/redirects are not followed/);
    expect(sut.error).not.toMatch(/token=abc|elsewhere/);
    expect(receiver.received.map((r) => r.path)).toEqual(['/hook']);
  });

  it('keeps only the first maxResponseBytes of the response', async () => {
    receiver.handler = (_req, res) => res.writeHead(500).end('x'.repeat(5000));

    const sut = await deliver(request(receiver.url()), { ...options, maxResponseBytes: 1024 });

    expect(sut.responseSnippet).toHaveLength(1024);
    expect(sut.responseTruncated).toBe(true);
  });

  it('times out a receiver that never answers', async () => {
    receiver.handler = () => undefined;

    const sut = await deliver(request(receiver.url()), { ...options, timeoutMs: 200 });

    expect(sut).toMatchObject({
      outcome: AttemptOutcome.Retry,
      error: expect.stringMatching(/timed out after 200 ms waiting for a response/),
    });
    expect(sut.durationMs).toBeGreaterThanOrEqual(195);
    expect(sut.durationMs).toBeLessThan(1500);
  });

  it('stops when the notifier aborts the attempt', async () => {
    receiver.handler = () => undefined;
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);

    const sut = await deliver(request(receiver.url()), { ...options, signal: controller.signal });

    expect(sut).toMatchObject({ outcome: AttemptOutcome.Retry, error: expect.stringMatching(/aborted/) });
  });

  it('retries when the connection is refused', async () => {
    const closed = await new TestReceiver().start();
    const url = closed.url();
    await closed.stop();

    const sut = await deliver(request(url), options);

    expect(sut).toMatchObject({ outcome: AttemptOutcome.Retry, error: expect.stringMatching(/ECONNREFUSED/) });
    expect(sut.status).toBeUndefined();
  });

  it('refuses loopback without an allow-list entry and never connects', async () => {
    const sut = await deliver(request(receiver.url()), { ...options, allowList: AllowList.none() });

    expect(sut).toMatchObject({
      outcome: AttemptOutcome.Refused,
      address: '127.0.0.1',
      error: expect.stringMatching(/loopback.*NOTIFIER_ALLOWED_DESTINATIONS/),
    });
    expect(receiver.received).toHaveLength(0);
    expect(receiver.connections).toBe(0);
  });

  it('resolves localhost once and connects to the checked address, keeping the Host header', async () => {
    const calls: string[] = [];
    const resolve: HostResolver = async (hostname) => {
      calls.push(hostname);
      return systemResolver(hostname);
    };

    const sut = await deliver(request(`http://localhost:${receiver.port}/hook`), { ...options, resolve });

    expect(sut).toMatchObject({ outcome: AttemptOutcome.Delivered, address: '127.0.0.1' });
    expect(calls).toEqual(['localhost']);
    expect(receiver.received[0].headers.host).toBe(`localhost:${receiver.port}`);
  });

  it('pins the connection to the resolver answer: the name is never looked up again', async () => {
    // The name exists nowhere but in this resolver: any second lookup would fail with ENOTFOUND.
    const calls: string[] = [];
    const resolve: HostResolver = async (hostname) => {
      calls.push(hostname);
      return [{ address: '127.0.0.1', family: 4 }];
    };

    const first = await deliver(request(`http://hooks.lockstep-test.invalid:${receiver.port}/hook`), {
      ...options,
      resolve,
    });
    const second = await deliver(request(`http://hooks.lockstep-test.invalid:${receiver.port}/hook`), {
      ...options,
      resolve,
    });

    expect([first.outcome, second.outcome]).toEqual([AttemptOutcome.Delivered, AttemptOutcome.Delivered]);
    expect(calls).toHaveLength(2);
    expect(receiver.received[0].headers.host).toBe(`hooks.lockstep-test.invalid:${receiver.port}`);
  });

  it('connects to the normalised address of an IPv4-mapped IPv6 literal', async () => {
    const sut = await deliver(request(`http://[::ffff:127.0.0.1]:${receiver.port}/hook`), options);

    expect(sut).toMatchObject({ outcome: AttemptOutcome.Delivered, address: '127.0.0.1' });
    expect(receiver.received[0].remoteAddress).toMatch(/127\.0\.0\.1$/);
  });

  it('refuses a name that resolves to loopback when loopback is not allowed', async () => {
    const resolve: HostResolver = async () => [{ address: '127.0.0.1', family: 4 }];

    const sut = await deliver(request(`http://rebind.lockstep-test.invalid:${receiver.port}/hook`), {
      ...options,
      allowList: AllowList.none(),
      resolve,
    });

    expect(sut).toMatchObject({
      outcome: AttemptOutcome.Refused,
      error: expect.stringMatching(/resolves to 127\.0\.0\.1/),
    });
    expect(receiver.received).toHaveLength(0);
  });

  it('retries when the name does not resolve', async () => {
    const resolve: HostResolver = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    };

    const sut = await deliver(request('http://gone.lockstep-test.invalid/hook'), { ...options, resolve });

    expect(sut).toMatchObject({
      outcome: AttemptOutcome.Retry,
      error: expect.stringMatching(/could not resolve gone\.lockstep-test\.invalid \(ENOTFOUND\)/),
    });
  });

  it('fails permanently when the request cannot be built', async () => {
    const sut = await deliver({ url: receiver.url(), headers: { 'x-bad': 'line\nbreak' }, body: '{}' }, options);

    expect(sut).toMatchObject({
      outcome: AttemptOutcome.FailedPermanently,
      error: expect.stringMatching(/request could not be built/),
    });
  });
});
