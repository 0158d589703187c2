import { AllowList, createGuardedFetch } from '@lockstep/net-guard';
import {
  artifactKeyFor,
  captureTufMetadata,
  generateKeySet,
  generateSigningKey,
  resignRoleWithKey,
  tamperArtifactByte,
  trustedRootFor,
  TufRepositoryWriter,
  type ExpiryPolicy,
} from '@lockstep/releases';
import { MinioObjectStore } from '@lockstep/storage';
import { startS3Server, uniqueName, type S3ServerHandle } from '@lockstep/testing';
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SourceErrorCode, type SourceCheckContext, type SourceCheckResult } from '../release-source';
import { TufReleaseSource, TufSourceConfig } from './index';

describe(TufReleaseSource.name, () => {
  let s3: S3ServerHandle;
  let store: MinioObjectStore;
  let scratch: string;
  const keys = generateKeySet();
  const writer = new TufRepositoryWriter();
  const sut = new TufReleaseSource();

  beforeAll(async () => {
    s3 = await startS3Server();
    store = new MinioObjectStore({
      endpoint: s3.endpoint,
      accessKey: s3.accessKey,
      secretKey: s3.secretKey,
      bucket: uniqueName('tuf'),
    });
    await store.ensureBucket();
    scratch = mkdtempSync(join(tmpdir(), 'lockstep-tuf-source-'));
  });
  afterAll(async () => {
    await s3.stop(true);
    rmSync(scratch, { recursive: true, force: true });
  });

  /** Publishes releases of a fresh component; returns its name and pinned root text. */
  const publish = async (
    versions: Array<{
      version: string;
      expiresInMs?: ExpiryPolicy;
      channel?: string;
      notes?: string;
      security?: boolean;
    }>,
    component = uniqueName('c'),
  ) => {
    for (const v of versions) {
      await writer.publish({
        store,
        component,
        artifact: Buffer.from(`${component} ${v.version} bytes`),
        channel: v.channel ?? 'stable',
        keys,
        ...v,
      });
    }
    return { component, trustedRoot: (await trustedRootFor(store, component)).toString() };
  };

  const check = (
    component: string,
    config: Record<string, unknown>,
    state: Record<string, unknown> = {},
    only?: string,
  ): Promise<SourceCheckResult> => {
    const ctx: SourceCheckContext<TufSourceConfig> = {
      component,
      config: TufSourceConfig.parse(config),
      state,
      signal: new AbortController().signal,
      objectStore: store,
      // the http-mode repository listens on loopback
      fetch: createGuardedFetch({ allowList: AllowList.parse('loopback', 'CHECKER_ALLOWED_DESTINATIONS') }),
      workDir: mkdtempSync(join(scratch, 'work-')),
      only,
    };
    return sut.check(ctx);
  };

  describe('s3 mode', () => {
    it('returns every release with hash, length, channel, flags and notes, and remembers what it verified', async () => {
      const { component, trustedRoot } = await publish([
        { version: '1.0.0' },
        { version: '1.1.0', channel: 'beta', security: true, notes: 'fixes CVE-1' },
      ]);
      const getStream = jest.spyOn(store, 'getStream');

      const first = await check(component, { mode: 's3', trustedRoot });
      const artifactReadsFirst = getStream.mock.calls.filter(([key]) => key.includes('/artifacts/')).length;
      const second = await check(
        component,
        { mode: 's3', trustedRoot: Buffer.from(trustedRoot).toString('base64') },
        first.state,
      );
      const artifactReadsTotal = getStream.mock.calls.filter(([key]) => key.includes('/artifacts/')).length;
      getStream.mockRestore();

      const bytes = Buffer.from(`${component} 1.1.0 bytes`);
      expect(first.releases).toEqual([
        expect.objectContaining({
          version: '1.0.0',
          channel: 'stable',
          security: false,
          breaking: false,
          hotfix: false,
          notes: '',
        }),
        {
          version: '1.1.0',
          channel: 'beta',
          security: true,
          breaking: false,
          hotfix: false,
          notes: 'fixes CVE-1',
          artifact: {
            uri: `s3://${store.bucket}/${artifactKeyFor(component, '1.1.0')}`,
            sha256: createHash('sha256').update(bytes).digest('hex'),
            length: bytes.length,
          },
        },
      ]);
      expect(Object.keys(first.state.trusted as object).sort()).toEqual([
        'root.json',
        'snapshot.json',
        'targets.json',
        'timestamp.json',
      ]);
      expect(second.releases).toEqual(first.releases);
      expect([artifactReadsFirst, artifactReadsTotal]).toEqual([2, 2]);
    });

    it('resolves and downloads only the release asked for, and still refuses it when its artifact changed', async () => {
      const { component, trustedRoot } = await publish([
        { version: '1.0.0' },
        { version: '1.1.0' },
        { version: '1.2.0' },
      ]);
      await tamperArtifactByte(store, component, '1.2.0', 3);
      const getStream = jest.spyOn(store, 'getStream');

      const one = await check(component, { mode: 's3', trustedRoot }, {}, '1.1.0');
      const artifactReads = getStream.mock.calls.filter(([key]) => key.includes('/artifacts/')).map(([key]) => key);
      const missing = await check(component, { mode: 's3', trustedRoot }, {}, '9.9.9');
      const tampered = check(component, { mode: 's3', trustedRoot }, {}, '1.2.0');
      getStream.mockRestore();

      expect(one.releases.map((r) => r.version)).toEqual(['1.1.0']);
      expect(artifactReads).toEqual([artifactKeyFor(component, '1.1.0')]);
      expect(missing.releases).toEqual([]);
      await expect(tampered).rejects.toMatchObject({ code: SourceErrorCode.TargetMismatch });
    });

    it.each(['timestamp', 'snapshot', 'targets'] as const)(
      'fails with METADATA_EXPIRED when %s metadata has expired',
      async (role) => {
        const { component, trustedRoot } = await publish([{ version: '1.0.0', expiresInMs: { [role]: -60_000 } }]);

        const result = check(component, { mode: 's3', trustedRoot });

        await expect(result).rejects.toMatchObject({
          name: 'SourceCheckError',
          code: SourceErrorCode.MetadataExpired,
          message: expect.stringMatching(/expired.*re-sign/),
        });
      },
    );

    it('fails with METADATA_ROLLBACK when the bucket goes back to older metadata than a previous check trusted', async () => {
      const { component } = await publish([{ version: '1.0.0' }]);
      const older = await captureTufMetadata(store, component);
      const { trustedRoot } = await publish([{ version: '1.1.0' }], component);
      const { state } = await check(component, { mode: 's3', trustedRoot });
      await older.restore();

      const result = check(component, { mode: 's3', trustedRoot }, state);

      await expect(result).rejects.toMatchObject({
        code: SourceErrorCode.MetadataRollback,
        message: expect.stringMatching(/older than what this checker already trusts/),
      });
    });

    it('fails with TARGET_MISMATCH when one byte of an artifact changed', async () => {
      const { component, trustedRoot } = await publish([{ version: '1.0.0' }, { version: '1.0.1' }]);
      await tamperArtifactByte(store, component, '1.0.1', 3);

      const result = check(component, { mode: 's3', trustedRoot });

      await expect(result).rejects.toMatchObject({
        code: SourceErrorCode.TargetMismatch,
        message: expect.stringContaining(`${component}-1.0.1.tar.gz`),
      });
    });

    it.each(['timestamp', 'snapshot', 'targets'] as const)(
      'fails with METADATA_BAD_SIGNATURE when %s is signed by a key the root does not name',
      async (role) => {
        const { component, trustedRoot } = await publish([{ version: '1.0.0' }]);
        await resignRoleWithKey(store, component, keys, role, generateSigningKey());

        const result = check(component, { mode: 's3', trustedRoot });

        await expect(result).rejects.toMatchObject({ code: SourceErrorCode.BadSignature });
      },
    );

    it('fails with METADATA_BAD_SIGNATURE when the pinned root belongs to other keys', async () => {
      const { component } = await publish([{ version: '1.0.0' }]);
      const stranger = uniqueName('x');
      await writer.publish({
        store,
        component: stranger,
        artifact: Buffer.from('x'),
        version: '1',
        channel: 'stable',
        keys: generateKeySet(),
      });
      const foreignRoot = (await trustedRootFor(store, stranger)).toString();

      const result = check(component, { mode: 's3', trustedRoot: foreignRoot });

      await expect(result).rejects.toMatchObject({ code: SourceErrorCode.BadSignature });
    });

    it('reports SOURCE_MISCONFIGURED when the component was never published', async () => {
      const { trustedRoot } = await publish([{ version: '1.0.0' }]);

      const result = check(uniqueName('none'), { mode: 's3', trustedRoot });

      await expect(result).rejects.toMatchObject({
        code: SourceErrorCode.Misconfigured,
        message: expect.stringMatching(/timestamp\.json/),
      });
    });
  });

  describe('http mode', () => {
    let server: Server;
    let base: string;
    const seen: Array<{ url: string; headers: IncomingHttpHeaders; status: number }> = [];
    let hang = false;

    beforeAll(async () => {
      // Serves /<component>/tuf/<file> and /<component>/artifacts/<file> from the bucket, with ETags.
      server = createServer((req, res) => {
        if (hang) return;
        const key = `components${decodeURIComponent(req.url ?? '')}`;
        store.get(key).then(
          (body) => {
            const etag = `"${createHash('md5').update(body).digest('hex')}"`;
            const status = req.headers['if-none-match'] === etag ? 304 : 200;
            seen.push({ url: req.url ?? '', headers: req.headers, status });
            res.writeHead(status, { etag, 'content-length': status === 304 ? 0 : body.length });
            res.end(status === 304 ? undefined : body);
          },
          () => {
            seen.push({ url: req.url ?? '', headers: req.headers, status: 404 });
            res.writeHead(404).end();
          },
        );
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    const httpConfig = (component: string, trustedRoot: string, extra: Record<string, unknown> = {}) => ({
      mode: 'http',
      metadataUrl: `${base}/${component}/tuf/`,
      targetsUrl: `${base}/${component}/artifacts`,
      trustedRoot,
      ...extra,
    });

    it('reads the same repository over HTTP and asks for timestamp.json conditionally', async () => {
      const { component, trustedRoot } = await publish([{ version: '1.0.0' }]);

      const first = await check(component, httpConfig(component, trustedRoot));
      const second = await check(component, httpConfig(component, trustedRoot), first.state);
      await publish([{ version: '2.0.0' }], component);
      const third = await check(component, httpConfig(component, trustedRoot), second.state);

      const timestampRequests = seen.filter((r) => r.url === `/${component}/tuf/timestamp.json`);
      expect(first.releases).toEqual([
        expect.objectContaining({
          version: '1.0.0',
          artifact: expect.objectContaining({ uri: `${base}/${component}/artifacts/${component}-1.0.0.tar.gz` }),
        }),
      ]);
      expect([first.notModified, second.notModified, third.notModified]).toEqual([false, true, false]);
      expect(second.releases).toEqual(first.releases);
      expect(third.releases.map((r) => r.version)).toEqual(['1.0.0', '2.0.0']);
      expect(timestampRequests.map((r) => [Boolean(r.headers['if-none-match']), r.status])).toEqual([
        [false, 200],
        [true, 304],
        [true, 200],
      ]);
    });

    it('reports SOURCE_UNREACHABLE when nothing listens at the URL', async () => {
      const { component, trustedRoot } = await publish([{ version: '1.0.0' }]);
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as AddressInfo).port;
      await new Promise((resolve) => closed.close(resolve));

      const result = check(component, {
        ...httpConfig(component, trustedRoot),
        metadataUrl: `http://127.0.0.1:${port}/tuf/`,
      });

      await expect(result).rejects.toMatchObject({
        code: SourceErrorCode.Unreachable,
        message: expect.stringMatching(/unreachable.*ECONNREFUSED/),
      });
    });

    it('reports SOURCE_TIMEOUT when the source does not answer in time', async () => {
      const { component, trustedRoot } = await publish([{ version: '1.0.0' }]);
      hang = true;

      const result = check(component, httpConfig(component, trustedRoot, { timeoutMs: 200 }));

      await expect(result).rejects.toMatchObject({ code: SourceErrorCode.Timeout });
      hang = false;
    });
  });
});
