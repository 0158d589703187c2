import { AllowList, createGuardedFetch } from '@lockstep/net-guard';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentErrorCode } from '../errors';
import { ArtifactDownloader } from './artifact-downloader';

const BODY = Buffer.from('artifact bytes');
const noStore = () => {
  throw new Error('no S3 in this test');
};

/** The agent's http(s) downloads go through the destination guard (a real HTTP server on loopback). */
describe(ArtifactDownloader.name, () => {
  let server: Server;
  let base: string;
  let work: string;
  let handler: (req: IncomingMessage, res: ServerResponse) => void;
  const requested: string[] = [];
  const downloader = (allowed: string) =>
    new ArtifactDownloader(
      noStore,
      10_000,
      createGuardedFetch({ allowList: AllowList.parse(allowed, 'AGENT_ALLOWED_DESTINATIONS') }),
    );

  beforeAll(async () => {
    server = createServer((req, res) => {
      requested.push(req.url ?? '');
      handler(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  beforeEach(async () => {
    requested.length = 0;
    handler = (_req, res) => void res.writeHead(200).end(BODY);
    work = await mkdtemp(join(tmpdir(), 'download-'));
  });
  afterEach(() => rm(work, { recursive: true, force: true }));
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('downloads from an allow-listed address and hashes on the way', async () => {
    const sut = downloader('loopback');

    const got = await sut.download(`${base}/a.tgz`, join(work, 'a'), 1024);

    expect(got).toMatchObject({ length: BODY.length, sha256: createHash('sha256').update(BODY).digest('hex') });
  });

  it('refuses a loopback artifact unless AGENT_ALLOWED_DESTINATIONS allows it, without connecting', async () => {
    const sut = downloader('');

    const act = sut.download(`${base}/a.tgz`, join(work, 'a'), 1024);

    await expect(act).rejects.toMatchObject({
      code: AgentErrorCode.DownloadFailed,
      message: expect.stringMatching(/loopback address.*AGENT_ALLOWED_DESTINATIONS/),
    });
    expect(requested).toEqual([]);
    expect(existsSync(join(work, 'a'))).toBe(false);
  });

  it('refuses a redirect to the cloud metadata service', async () => {
    handler = (_req, res) => void res.writeHead(302, { location: 'http://169.254.169.254/latest/' }).end();
    const sut = downloader('loopback, link-local');

    const act = sut.download(`${base}/a.tgz`, join(work, 'a'), 1024);

    await expect(act).rejects.toMatchObject({
      code: AgentErrorCode.DownloadFailed,
      message: expect.stringMatching(/169\.254\.169\.254.*cloud metadata service/),
    });
  });
});
