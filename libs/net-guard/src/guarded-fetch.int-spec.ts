import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AddressClass } from './address-class';
import { AllowList } from './allow-list';
import { DestinationErrorCode } from './destination-guard';
import { createGuardedFetch, RedirectErrorCode } from './guarded-fetch';

/** The guarded fetch against a real HTTP server on loopback, with DNS answers the test gives. */
describe(createGuardedFetch.name, () => {
  let server: Server;
  let port: number;
  let handler: (req: IncomingMessage, res: ServerResponse) => void;
  const seen: Array<{ url: string; host: string }> = [];
  const loopback = AllowList.parse('loopback', 'AGENT_ALLOWED_DESTINATIONS');

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push({ url: req.url ?? '', host: req.headers.host ?? '' });
      handler(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  beforeEach(() => {
    seen.length = 0;
    handler = (_req, res) => void res.writeHead(200, { 'content-type': 'text/plain', etag: '"e1"' }).end('hello');
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('refuses a loopback destination that is not allow-listed, naming the setting, without connecting', async () => {
    const sut = createGuardedFetch({ allowList: AllowList.none('AGENT_ALLOWED_DESTINATIONS') });

    const act = sut(`http://127.0.0.1:${port}/x`);

    await expect(act).rejects.toMatchObject({
      code: DestinationErrorCode.AddressRefused,
      message: expect.stringMatching(/loopback.*AGENT_ALLOWED_DESTINATIONS/),
    });
    expect(seen).toEqual([]);
  });

  it('fetches an allow-listed destination like fetch does', async () => {
    const sut = createGuardedFetch({ allowList: loopback });

    const res = await sut(`http://127.0.0.1:${port}/x`, { headers: { accept: 'text/plain' } });

    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe('"e1"');
    expect(await res.text()).toBe('hello');
  });

  it('asks DNS once and connects to the checked address, keeping the host name', async () => {
    const asked: string[] = [];
    const sut = createGuardedFetch({
      allowList: loopback,
      resolve: async (host) => {
        asked.push(host);
        return [{ address: '127.0.0.1', family: 4 }];
      },
    });

    const res = await sut(`http://registry.test:${port}/pkg`);

    expect(await res.text()).toBe('hello');
    expect(asked).toEqual(['registry.test']);
    expect(seen).toEqual([{ url: '/pkg', host: `registry.test:${port}` }]);
  });

  it('refuses a host with any refused address (metadata.google.internal -> 169.254.169.254)', async () => {
    const sut = createGuardedFetch({
      allowList: AllowList.parse('loopback, link-local, private', 'AGENT_ALLOWED_DESTINATIONS'),
      resolve: async () => [{ address: '169.254.169.254', family: 4 }],
    });

    const act = sut('http://metadata.google.internal/computeMetadata/v1/');

    await expect(act).rejects.toMatchObject({
      code: DestinationErrorCode.AddressRefused,
      details: { addressClass: AddressClass.Metadata },
    });
  });

  it('checks every redirect target: one to the metadata service is refused before connecting there', async () => {
    handler = (_req, res) =>
      void res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/iam/' }).end();
    const sut = createGuardedFetch({ allowList: loopback });

    const act = sut(`http://127.0.0.1:${port}/artifact.tgz`);

    await expect(act).rejects.toMatchObject({
      code: DestinationErrorCode.AddressRefused,
      details: { address: '169.254.169.254', addressClass: AddressClass.Metadata },
    });
  });

  it('follows a redirect to an allowed destination', async () => {
    handler = (req, res) =>
      req.url === '/old' ? void res.writeHead(301, { location: '/new' }).end() : void res.writeHead(200).end('moved');
    const sut = createGuardedFetch({ allowList: loopback });

    const res = await sut(`http://127.0.0.1:${port}/old`);

    expect(await res.text()).toBe('moved');
    expect(seen.map((s) => s.url)).toEqual(['/old', '/new']);
  });

  it('stops an endless redirect chain', async () => {
    handler = (_req, res) => void res.writeHead(302, { location: '/again' }).end();
    const sut = createGuardedFetch({ allowList: loopback, maxRedirects: 3 });

    const act = sut(`http://127.0.0.1:${port}/start`);

    await expect(act).rejects.toMatchObject({ code: RedirectErrorCode.TooMany });
    expect(seen).toHaveLength(4);
  });

  it('answers a 304 with an empty body, as fetch does', async () => {
    handler = (_req, res) => void res.writeHead(304, { etag: '"e1"' }).end();
    const sut = createGuardedFetch({ allowList: loopback });

    const res = await sut(`http://127.0.0.1:${port}/doc`, { headers: { 'if-none-match': '"e1"' } });

    expect(res.status).toBe(304);
    expect(res.body).toBeNull();
  });
});
