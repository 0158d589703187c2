import { AllowList, createGuardedFetch } from '@lockstep/net-guard';
import {
  artifactKeyFor,
  captureTufMetadata,
  generateKeySet,
  trustedRootFor,
  tufPrefixFor,
  TufRepositoryWriter,
} from '@lockstep/releases';
import { MinioObjectStore } from '@lockstep/storage';
import { startS3Server, uniqueName, type S3ServerHandle } from '@lockstep/testing';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentErrorCode } from '../errors';
import { TufArtifactVerifier } from './tuf-artifact-verifier';

const DAY = 24 * 3600_000;

/** Every fake-able timer API except Date: tuf-js reads `new Date()`, the I/O keeps its real timers. */
const ONLY_DATE = [
  'hrtime',
  'nextTick',
  'performance',
  'queueMicrotask',
  'requestAnimationFrame',
  'cancelAnimationFrame',
  'requestIdleCallback',
  'cancelIdleCallback',
  'setImmediate',
  'clearImmediate',
  'setInterval',
  'clearInterval',
  'setTimeout',
  'clearTimeout',
] as const;

/**
 * The node agent's own TUF checks (issue 11, acceptance 4): the attacks the checker refuses are
 * refused by the agent too, whatever the checker said, with a real TUF repository on the S3
 * server and over loopback HTTP.
 */
describe(TufArtifactVerifier.name, () => {
  let s3: S3ServerHandle;
  let store: MinioObjectStore;
  let scratch: string;
  let server: Server;
  let base: string;
  /** Bytes sent by the endless timestamp.json before the client hung up. */
  let endlessBytesSent = 0;
  let endlessClosed: Promise<void> = Promise.resolve();
  const keys = generateKeySet();

  beforeAll(async () => {
    s3 = await startS3Server();
    store = new MinioObjectStore({
      endpoint: s3.endpoint,
      accessKey: s3.accessKey,
      secretKey: s3.secretKey,
      bucket: uniqueName('agent-tuf'),
    });
    await store.ensureBucket();
    scratch = mkdtempSync(join(tmpdir(), 'lockstep-agent-tuf-'));
    // Serves /<component>/tuf/<file> from the bucket; /endless/<component>/tuf/timestamp.json never ends.
    server = createServer((req, res) => {
      const url = decodeURIComponent(req.url ?? '');
      if (url.startsWith('/endless/') && url.endsWith('/timestamp.json')) {
        endlessBytesSent = 0;
        endlessClosed = new Promise((resolve) => res.on('close', resolve));
        res.writeHead(200, { 'content-type': 'application/json' });
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        const pump = (): void => {
          while (!res.destroyed) {
            endlessBytesSent += chunk.length;
            if (!res.write(chunk)) break;
          }
          if (!res.destroyed) res.once('drain', pump);
        };
        pump();
        return;
      }
      const key = `components${url.replace(/^\/endless/, '')}`;
      store.get(key).then(
        (body) => res.writeHead(200, { 'content-length': body.length }).end(body),
        () => res.writeHead(404).end(),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await s3.stop(true);
    rmSync(scratch, { recursive: true, force: true });
  });
  afterEach(() => jest.useRealTimers());

  const artifactOf = (component: string, version: string) => Buffer.from(`${component} ${version} bytes`);

  const publish = async (component: string, version: string, at?: Date) =>
    new TufRepositoryWriter(at ? () => at : undefined).publish({
      store,
      component,
      artifact: artifactOf(component, version),
      version,
      channel: 'stable',
      keys,
    });

  /** One node: its pinned root and its own state directory (kept across verifications, as across restarts). */
  const node = async (component: string, metadataUrl?: string) => {
    const pinnedRoot = await trustedRootFor(store, component);
    const stateDir = mkdtempSync(join(scratch, 'node-'));
    return (version: string) => {
      const bytes = artifactOf(component, version);
      return new TufArtifactVerifier({
        pinnedRoot,
        stateDir,
        storeFor: () => store,
        timeoutMs: 10_000,
        metadataUrl,
        fetch: createGuardedFetch({ allowList: AllowList.parse('loopback', 'AGENT_ALLOWED_DESTINATIONS') }),
      }).verify(component, version, `s3://${store.bucket}/${artifactKeyFor(component, version)}`, {
        sha256: createHash('sha256').update(bytes).digest('hex'),
        length: bytes.length,
      });
    };
  };

  it('refuses a freeze: metadata it trusted while fresh, replayed unchanged after its expiry', async () => {
    const component = uniqueName('freeze');
    const signedAt = new Date(Date.now() - 3 * DAY);
    await publish(component, '1.0.0', signedAt);
    const verify = await node(component);
    jest.useFakeTimers({ doNotFake: [...ONLY_DATE], now: signedAt.getTime() + 3600_000 });
    await verify('1.0.0');
    jest.useRealTimers();

    const replayed = verify('1.0.0');

    await expect(replayed).rejects.toMatchObject({
      code: AgentErrorCode.TufExpired,
      message: expect.stringMatching(/has expired.*Not installed/),
    });
  });

  it('refuses a mix-and-match: targets of one version served with the snapshot of another', async () => {
    const component = uniqueName('mix');
    await publish(component, '1.0.0');
    const old = await store.get(`${tufPrefixFor(component)}1.targets.json`);
    await publish(component, '2.0.0');
    await store.put(`${tufPrefixFor(component)}2.targets.json`, old, 'application/json');
    const verify = await node(component);

    const mixed = verify('1.0.0');

    await expect(mixed).rejects.toMatchObject({
      code: AgentErrorCode.TufBadMetadata,
      message: expect.stringMatching(/does not match what the signed snapshot pins/),
    });
  });

  it('refuses a metadata rollback below what it trusted, across a restart (same state directory)', async () => {
    const component = uniqueName('rollback');
    await publish(component, '1.0.0');
    const before = await captureTufMetadata(store, component);
    await publish(component, '2.0.0');
    const verify = await node(component);
    await verify('2.0.0');
    await before.restore();

    const rolledBack = verify('1.0.0');

    await expect(rolledBack).rejects.toMatchObject({ code: AgentErrorCode.TufRollback });
  });

  it('refuses an endless metadata body over HTTP at the size limit, and hangs up at once', async () => {
    const component = uniqueName('endless');
    await publish(component, '1.0.0');
    const verify = await node(component, `${base}/endless/${component}/tuf/`);
    const started = Date.now();

    const endless = verify('1.0.0');

    await expect(endless).rejects.toMatchObject({
      code: AgentErrorCode.TufBadMetadata,
      message: expect.stringMatching(/larger than the size limit/),
    });
    await endlessClosed;
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(endlessBytesSent).toBeLessThan(16 * 1024 * 1024);
  });

  it('still installs from the same repository over HTTP when nothing is wrong', async () => {
    const component = uniqueName('ok');
    await publish(component, '1.0.0');
    const verify = await node(component, `${base}/${component}/tuf/`);

    await expect(verify('1.0.0')).resolves.toBeUndefined();
  });
});
