import { createHash, randomBytes } from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { AllowList, createGuardedFetch } from '@lockstep/net-guard';
import { SourceCheckError, SourceErrorCode, type SourceCheckContext, type SourceCheckResult } from '../release-source';
import { npmSource as sut, type NpmSourceConfig } from './index';

const PACKAGE = '@acme/app';

type Digest = 'sha512' | 'sha256+sha512' | 'shasum' | 'none' | 'wrong';

/** An npm registry on loopback serving one package document (with ETags) and its tarballs. */
class FakeRegistry {
  readonly requests: { path: string; headers: IncomingHttpHeaders }[] = [];
  /** When set, answers every request instead of the registry logic. */
  override?: (req: IncomingMessage, res: ServerResponse) => void;
  private readonly versions: Record<string, unknown> = {};
  private readonly tags: Record<string, string> = {};
  private readonly tarballs = new Map<string, Buffer>();
  private revision = 0;
  private server!: Server;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  /** Publishes a version whose tarball is random bytes, with the digest kind asked for. */
  publish(
    version: string,
    opts: { tags?: string[]; digest?: Digest; lockstep?: unknown; deprecated?: string; size?: number } = {},
  ): Buffer {
    const data = randomBytes(opts.size ?? 1000);
    const path = `/tarballs/app-${version}.tgz`;
    const sri = (alg: string, d: Buffer) => `${alg}-${createHash(alg).update(d).digest('base64')}`;
    const dist: Record<string, string> = { tarball: `${this.url}${path}` };
    const digest = opts.digest ?? 'sha512';
    if (digest === 'sha512') dist.integrity = sri('sha512', data);
    if (digest === 'sha256+sha512') dist.integrity = `${sri('sha256', data)} ${sri('sha512', data)}`;
    if (digest === 'shasum') dist.shasum = createHash('sha1').update(data).digest('hex');
    if (digest === 'wrong') dist.integrity = sri('sha512', Buffer.from('something else'));
    this.versions[version] = { name: PACKAGE, version, dist, lockstep: opts.lockstep, deprecated: opts.deprecated };
    for (const tag of opts.tags ?? []) this.tags[tag] = version;
    this.tarballs.set(path, data);
    this.revision++;
    return data;
  }

  paths(): string[] {
    return this.requests.map((r) => r.path);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.requests.push({ path: req.url ?? '', headers: req.headers });
    if (this.override) return this.override(req, res);
    if (req.url === '/@acme%2fapp') {
      const etag = `"rev-${this.revision}"`;
      if (req.headers['if-none-match'] === etag) return void res.writeHead(304, { etag }).end();
      const body = JSON.stringify({ name: PACKAGE, 'dist-tags': this.tags, versions: this.versions });
      return void res
        .writeHead(200, { 'content-type': 'application/json', etag, 'last-modified': 'Wed, 01 Jan 2025 00:00:00 GMT' })
        .end(body);
    }
    const tarball = this.tarballs.get(req.url ?? '');
    if (tarball) return void res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(tarball);
    res.writeHead(404).end('{"error":"Not found"}');
  }
}

const sha256 = (d: Buffer) => createHash('sha256').update(d).digest('hex');

/** The checker's guarded fetch; the fake registry listens on loopback, so loopback is allow-listed. */
const loopbackFetch = createGuardedFetch({ allowList: AllowList.parse('loopback', 'CHECKER_ALLOWED_DESTINATIONS') });

function context(
  config: Partial<NpmSourceConfig>,
  state: Record<string, unknown> = {},
  signal = new AbortController().signal,
  fetch = loopbackFetch,
): SourceCheckContext<NpmSourceConfig> {
  return {
    component: 'app',
    config: sut.configSchema.parse({ package: PACKAGE, ...config }),
    state,
    signal,
    fetch,
    workDir: '/nonexistent',
  };
}

async function failure(promise: Promise<SourceCheckResult>): Promise<SourceCheckError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SourceCheckError);
  return err as SourceCheckError;
}

describe('npmSource', () => {
  let registry: FakeRegistry;

  beforeEach(async () => {
    registry = await new FakeRegistry().start();
  });
  afterEach(() => registry.stop());

  it('reports every version with its channel, flags and verified artifact', async () => {
    const stable = registry.publish('1.0.0', { lockstep: { security: true, notes: 'fixes CVE-1' } });
    registry.publish('1.1.0', { tags: ['latest'], lockstep: { hotfix: true, breaking: 'yes' } });
    registry.publish('2.0.0-rc.1', { tags: ['next'] });
    registry.publish('2.0.0-alpha.1');
    registry.publish('2.0.0-alpha.2', { tags: ['canary'] });
    registry.publish('2.0.0-x.1');
    registry.publish('0.9.0', { deprecated: 'do not use' });

    const result = await sut.check(context({ registry: registry.url }));

    expect(result.notModified).toBeUndefined();
    expect(result.releases.map((r) => [r.version, r.channel, r.security, r.hotfix, r.breaking, r.notes])).toEqual([
      ['1.0.0', 'stable', true, false, false, 'fixes CVE-1'],
      ['1.1.0', 'stable', false, true, false, ''],
      ['2.0.0-alpha.1', 'alpha', false, false, false, ''],
      ['2.0.0-alpha.2', 'alpha', false, false, false, ''],
      ['2.0.0-rc.1', 'beta', false, false, false, ''],
      ['2.0.0-x.1', 'beta', false, false, false, ''],
    ]);
    expect(result.releases[0].artifact).toEqual({
      uri: `${registry.url}/tarballs/app-1.0.0.tgz`,
      sha256: sha256(stable),
      length: 1000,
    });
    expect(registry.requests[0]).toMatchObject({ path: '/@acme%2fapp', headers: { accept: 'application/json' } });
    expect(registry.requests[0].headers['if-none-match']).toBeUndefined();
  });

  it('sends the validators back and repeats the last releases on 304', async () => {
    registry.publish('1.0.0');
    const first = await sut.check(context({ registry: registry.url }));
    registry.requests.length = 0;

    const second = await sut.check(context({ registry: registry.url }, first.state));

    expect(registry.requests).toHaveLength(1);
    expect(registry.requests[0].headers).toMatchObject({
      'if-none-match': '"rev-1"',
      'if-modified-since': 'Wed, 01 Jan 2025 00:00:00 GMT',
    });
    expect(second).toEqual({ notModified: true, releases: first.releases, state: first.state });
  });

  it('downloads only the tarballs of new versions on the next change', async () => {
    registry.publish('1.0.0');
    const first = await sut.check(context({ registry: registry.url }));
    registry.publish('1.0.1');
    registry.requests.length = 0;

    const second = await sut.check(context({ registry: registry.url }, first.state));

    expect(second.releases.map((r) => r.version)).toEqual(['1.0.0', '1.0.1']);
    expect(registry.paths()).toEqual(['/@acme%2fapp', '/tarballs/app-1.0.1.tgz']);
  });

  it('ignores state left by another package and asks unconditionally', async () => {
    registry.publish('1.0.0');
    const first = await sut.check(context({ registry: registry.url }));
    registry.requests.length = 0;

    await sut.check(context({ registry: registry.url }, { ...first.state, url: 'http://elsewhere/other' }));

    expect(registry.requests[0].headers['if-none-match']).toBeUndefined();
  });

  it.each<[Digest, boolean, boolean]>([
    ['sha512', false, true],
    ['sha256+sha512', false, true],
    ['shasum', false, true],
    ['none', false, false],
    ['none', true, true],
  ])('with a %s digest and allowUnverified=%s, reports the version: %s', async (digest, allowUnverified, reported) => {
    const data = registry.publish('1.0.0', { digest });

    const result = await sut.check(context({ registry: registry.url, allowUnverified }));

    expect(result.releases.map((r) => r.artifact.sha256)).toEqual(reported ? [sha256(data)] : []);
  });

  it('fails with TARGET_MISMATCH when a tarball does not match its digest', async () => {
    registry.publish('1.0.0');
    registry.publish('1.0.1', { digest: 'wrong' });

    const err = await failure(sut.check(context({ registry: registry.url })));

    expect(err.code).toBe(SourceErrorCode.TargetMismatch);
    expect(err.message).toContain('@acme/app@1.0.1');
  });

  it('fails with SOURCE_MISCONFIGURED when a tarball is larger than allowed', async () => {
    registry.publish('1.0.0', { size: 2048 });

    const err = await failure(sut.check(context({ registry: registry.url, maxTarballBytes: 1024 })));

    expect(err.code).toBe(SourceErrorCode.Misconfigured);
    expect(err.message).toContain('raise maxTarballBytes');
  });

  it('says the package name may be wrong on 404', async () => {
    const err = await failure(sut.check(context({ registry: registry.url, package: 'no-such-package' })));

    expect(err.code).toBe(SourceErrorCode.Misconfigured);
    expect(err.message).toMatch(/no-such-package answered 404: the package name may be wrong/);
  });

  it.each<[string, (res: ServerResponse) => void, SourceErrorCode, RegExp]>([
    [
      'invalid JSON',
      (res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"name": '),
      SourceErrorCode.BadData,
      /did not answer with JSON/,
    ],
    [
      'a document without versions',
      (res) => res.end(JSON.stringify({ name: PACKAGE })),
      SourceErrorCode.BadData,
      /is not a package document/,
    ],
    [
      'another package',
      (res) => res.end(JSON.stringify({ name: 'other', versions: {} })),
      SourceErrorCode.BadData,
      /describes another package/,
    ],
    [
      'a version without a tarball',
      (res) => res.end(JSON.stringify({ name: PACKAGE, versions: { '1.0.0': { version: '1.0.0', dist: {} } } })),
      SourceErrorCode.BadData,
      /malformed entry for 1\.0\.0/,
    ],
    [
      'an unprompted 304',
      (res) => res.writeHead(304).end(),
      SourceErrorCode.BadData,
      /304 Not Modified to an unconditional request/,
    ],
    ['503', (res) => res.writeHead(503).end(), SourceErrorCode.Unreachable, /answered 503/],
    ['403', (res) => res.writeHead(403).end(), SourceErrorCode.Misconfigured, /needs credentials/],
    [
      'a redirect to the cloud metadata service',
      (res) => res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end(),
      SourceErrorCode.Misconfigured,
      /169\.254\.169\.254.*cloud metadata service address/,
    ],
  ])('fails on %s', async (_, answer, code, message) => {
    registry.override = (_req, res) => answer(res);

    const err = await failure(sut.check(context({ registry: registry.url })));

    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
  });

  it('refuses a registry on a non-public address unless CHECKER_ALLOWED_DESTINATIONS allows it', async () => {
    const guarded = createGuardedFetch({ allowList: AllowList.none('CHECKER_ALLOWED_DESTINATIONS') });

    const err = await failure(sut.check(context({ registry: registry.url }, {}, undefined, guarded)));

    expect(err.code).toBe(SourceErrorCode.Misconfigured);
    expect(err.message).toMatch(/loopback address.*CHECKER_ALLOWED_DESTINATIONS/);
    expect(registry.requests).toEqual([]);
  });

  it('fails with SOURCE_UNREACHABLE when nothing listens', async () => {
    const closed = await new FakeRegistry().start();
    await closed.stop();

    const err = await failure(sut.check(context({ registry: closed.url })));

    expect(err.code).toBe(SourceErrorCode.Unreachable);
    expect(err.message).toMatch(/could not reach .*ECONNREFUSED/);
  });

  it('fails with SOURCE_TIMEOUT when the registry answers too slowly', async () => {
    registry.override = (_req, res) => void setTimeout(() => res.end('{}'), 2000).unref();

    const err = await failure(sut.check(context({ registry: registry.url, timeoutMs: 200 })));

    expect(err.code).toBe(SourceErrorCode.Timeout);
    expect(err.message).toMatch(/did not answer within 200 ms/);
  });

  it('fails with SOURCE_TIMEOUT when the body stalls after the headers', async () => {
    registry.override = (_req, res) =>
      void res.writeHead(200, { 'content-type': 'application/json' }).write('{"name":');

    const err = await failure(sut.check(context({ registry: registry.url, timeoutMs: 200 })));

    expect(err.code).toBe(SourceErrorCode.Timeout);
  });

  it('fails with SOURCE_TIMEOUT when the check is aborted', async () => {
    registry.override = () => undefined;
    const abort = new AbortController();
    setTimeout(() => abort.abort(new Error('shutdown')), 100).unref();

    const err = await failure(sut.check(context({ registry: registry.url }, {}, abort.signal)));

    expect(err.code).toBe(SourceErrorCode.Timeout);
    expect(err.message).toMatch(/aborted/);
  });
});
