import { createHash, randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type ServerResponse } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { startS3Server, uniqueName, type S3ServerHandle } from '@lockstep/testing';
import { MinioObjectStore, ObjectNotFoundError, StorageError, StorageErrorCode } from '@lockstep/storage';

/** Starts `server` on a free loopback port and answers a store pointed at it. */
async function storeOnLoopback(server: Server, bucket: string, idleTimeoutMs?: number): Promise<MinioObjectStore> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return new MinioObjectStore({
    endpoint: `http://127.0.0.1:${port}`,
    accessKey: 'k',
    secretKey: 's',
    bucket,
    idleTimeoutMs,
  });
}

describe(MinioObjectStore.name, () => {
  let s3: S3ServerHandle;
  let sut: MinioObjectStore;

  beforeAll(async () => {
    s3 = await startS3Server();
    sut = new MinioObjectStore({
      endpoint: s3.endpoint,
      accessKey: s3.accessKey,
      secretKey: s3.secretKey,
      bucket: uniqueName('b'),
    });
    await sut.ensureBucket();
    await sut.ensureBucket();
  });
  afterAll(() => s3.stop(true));

  it('round-trips, lists and removes objects', async () => {
    await sut.put('a/one.txt', 'hello');
    await sut.put('a/two.txt', Buffer.from('world'));

    const listed = await sut.list('a/');
    const got = await sut.get('a/one.txt');
    await sut.remove('a/one.txt');

    expect(listed.map((o) => o.key).sort()).toEqual(['a/one.txt', 'a/two.txt']);
    expect(got.toString()).toBe('hello');
    expect(await sut.stat('a/one.txt')).toBeUndefined();
    await expect(sut.get('a/one.txt')).rejects.toBeInstanceOf(ObjectNotFoundError);
  });

  it('stores an object under a digest the caller computed, and refuses a malformed digest', async () => {
    const body = randomBytes(70_000);
    const digest = createHash('sha256').update(body).digest('hex');

    await sut.putWithDigest(`packs/${digest}`, body, digest);

    expect((await sut.get(`packs/${digest}`)).equals(body)).toBe(true);
    await expect(sut.putWithDigest('packs/x', body, 'not-a-digest')).rejects.toThrow(/not a sha256 digest/);
    await expect(sut.putWithDigest('big', Buffer.alloc(16 * 1024 * 1024 + 1), digest)).rejects.toThrow(/at most/);
  });

  it('refuses objects over 16 MiB', async () => {
    await expect(sut.put('big', Buffer.alloc(16 * 1024 * 1024 + 1))).rejects.toThrow(/at most/);
  });

  it('fails a request to a server that accepts it and then says nothing, once the idle timeout passes', async () => {
    const sockets: Socket[] = [];
    const hung = createServer((socket) => void sockets.push(socket)); // reads the request, never answers
    const store = await storeOnLoopback(hung, 'hung', 300);
    try {
      const failure = await store.get('packs/anything').catch((err: unknown) => err);

      expect(failure).toBeInstanceOf(StorageError);
      expect((failure as StorageError).code).toBe(StorageErrorCode.Unavailable);
      expect((failure as Error).message).toMatch(/sent nothing for 0\.3 s/);
      expect(sockets.length).toBeGreaterThan(0);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => hung.close(resolve));
    }
  });

  it('keeps the idle timeout on a reused connection, and fails a body that stalls halfway as an outage', async () => {
    let requests = 0;
    const held: ServerResponse[] = [];
    const server = createHttpServer((req, res) => {
      requests++;
      if (req.url?.includes('first')) return res.writeHead(200, { 'content-length': '5', etag: '"x"' }).end('hello'); // answered: the socket goes back to the pool
      if (req.url?.includes('halfway'))
        return void (res.writeHead(200, { 'content-length': '10', etag: '"x"' }).write('hello'), held.push(res)); // half the body, then nothing
      held.push(res); // never answered, on the reused connection
    });
    const store = await storeOnLoopback(server, 'stalls', 300);
    try {
      const first = await store.get('first');
      const stalled = await store.get('second').catch((err: unknown) => err);
      const halfway = await store.get('halfway').catch((err: unknown) => err);

      expect(first.toString()).toBe('hello');
      expect(requests).toBe(3);
      for (const failure of [stalled, halfway]) {
        expect(failure).toBeInstanceOf(StorageError);
        expect((failure as StorageError).code).toBe(StorageErrorCode.Unavailable);
      }
      expect((halfway as Error).message).toMatch(/get halfway failed/);
    } finally {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('sends a request once more on a new connection when the reused one breaks under it, and only once', async () => {
    let requests = 0;
    const server = createHttpServer((req, res) => {
      requests++;
      // a second request on a kept-alive connection: the server had closed it (its idle timeout)
      if (req.socket.listenerCount('lockstep-seen') > 0 || req.url?.includes('always-reset'))
        return req.socket.destroy();
      req.socket.on('lockstep-seen', () => undefined);
      res.writeHead(200, { 'content-length': '2', etag: '"x"' }).end('ok');
    });
    const store = await storeOnLoopback(server, 'resets');
    try {
      await store.get('first');
      const again = await store.get('second');
      const before = requests;
      const broken = await store.get('always-reset').catch((err: unknown) => err);

      expect(again.toString()).toBe('ok');
      expect(before).toBe(3); // first, second reset on the reused connection, second again on a new one
      expect(requests - before).toBe(2);
      expect(broken).toBeInstanceOf(StorageError);
      expect((broken as StorageError).code).toBe(StorageErrorCode.Unavailable);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("gives a request on a reused connection the whole idle time, whatever the server's Keep-Alive hint", async () => {
    let requests = 0;
    const server = createHttpServer((req, res) => {
      requests++;
      const answer = () =>
        res.writeHead(200, { 'content-length': '2', etag: '"x"', 'keep-alive': 'timeout=2' }).end('ok');
      if (req.url?.includes('slow'))
        setTimeout(answer, 1500); // longer than what Node makes of the hint (1 s less: 1 s), well under the idle timeout
      else answer();
    });
    const store = await storeOnLoopback(server, 'hints', 5000);
    try {
      await store.get('first');
      const slow = await store.get('slow');

      expect(slow.toString()).toBe('ok');
      expect(requests).toBe(2);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
