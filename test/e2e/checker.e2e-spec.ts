import { Queries, systemActor, type CheckResultV1, type QueryReply } from '@lockstep/contracts';
import { MinioObjectStore } from '@lockstep/storage';
import {
  TufRepositoryWriter,
  captureTufMetadata,
  publishTestRelease,
  generateKeySet,
  serializeOnlineKeySet,
  tamperArtifactByte,
  trustedRootFor,
  type TufKeySet,
} from '@lockstep/releases';
import {
  startS3Server,
  startService,
  uniqueName,
  waitFor,
  type S3ServerHandle,
  type ServiceProcess,
} from '@lockstep/testing';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectEvents, createTestDeployment, s3Env, type TestDeployment } from '../support/control-plane';

/** Who the queries act as: the API passes the token's identity, this spec talks to the checker directly. */
const TEST_ACTOR = systemActor('checker-e2e');

describe('checker (processes, real NATS/Postgres/S3)', () => {
  let s3: S3ServerHandle;
  let dep: TestDeployment;
  let store: MinioObjectStore;
  let keys: TufKeySet;
  let bucket: string;
  const procs: ServiceProcess[] = [];

  const startChecker = async (env: Record<string, string> = {}) => {
    const p = await startService('checker', {
      ...dep.envFor('checker'),
      ...s3Env(s3, bucket),
      CHECKER_CHECK_ON_START: 'false',
      CHECKER_INTERVAL: '1h',
      ...env,
    });
    procs.push(p);
    return p;
  };
  const publish = (component: string, version: string, extra: Parameters<typeof publishTestRelease>[1] = {}) =>
    publishTestRelease({ store, keys, component, version }, extra);
  const register = async (component: string, currentVersion = '1.0.0') => {
    const trustedRoot = (await trustedRootFor(store, component)).toString('utf8');
    const reply = await dep.queries.send<QueryReply<unknown>>(Queries.ComponentUpsert, {
      name: component,
      sourceType: 'tuf',
      currentVersion,
      sourceConfig: { mode: 's3', trustedRoot },
      actor: TEST_ACTOR,
    });
    expect(reply).toMatchObject({ ok: true });
  };
  const checkNow = async (component: string) => {
    const reply = await dep.queries.send<QueryReply<CheckResultV1[]>>(
      Queries.CheckNow,
      { component, actor: TEST_ACTOR },
      30000,
    );
    if (!reply.ok) throw new Error(reply.error.message);
    return reply.result[0];
  };

  beforeAll(async () => {
    s3 = await startS3Server();
  });
  afterAll(() => s3.stop(true));
  beforeEach(async () => {
    dep = await createTestDeployment();
    bucket = uniqueName('b');
    store = new MinioObjectStore({ endpoint: s3.endpoint, accessKey: s3.accessKey, secretKey: s3.secretKey, bucket });
    await store.ensureBucket();
    keys = generateKeySet();
  });
  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => p.kill('SIGTERM')));
    await dep.close();
  });

  it('announces a new release exactly once across restarts and concurrent replicas', async () => {
    await publish('demo', '1.0.0');
    await publish('demo', '1.1.0', { security: true });
    await publish('demo', '2.0.0-beta.1', { channel: 'beta' });
    const first = await startChecker();
    const second = await startChecker();
    await register('demo');
    const seen = await collectEvents(dep);

    const results = await Promise.all([checkNow('demo'), checkNow('demo'), checkNow('demo')]);
    await first.kill('SIGKILL');
    const third = await startChecker();
    const again = await checkNow('demo');
    await waitFor(() => seen.events.length >= 1, { what: 'release.available' });
    await third.kill('SIGTERM');
    await second.kill('SIGTERM');
    await seen.stop();

    expect(results.flatMap((r) => r.announced)).toEqual(['1.1.0']);
    expect(again).toMatchObject({ ok: true, announced: [] });
    const available = seen.events.filter((e) => e.type === 'io.lockstep.release.available.v1');
    expect(available).toHaveLength(1);
    expect(available[0].data).toMatchObject({
      component: 'demo',
      version: '1.1.0',
      currentVersion: '1.0.0',
      kind: 'minor',
      security: true,
      channel: 'stable',
      notes: 'notes 1.1.0',
    });
  });

  it('polls every CHECKER_INTERVAL by itself: each new release is announced without anyone asking for a check', async () => {
    await publish('demo', '1.0.0');
    await startChecker({ CHECKER_INTERVAL: '1s' });
    const seen = await collectEvents(dep);
    await register('demo');
    const announced = () =>
      seen.events.filter((e) => e.type === 'io.lockstep.release.available.v1').map((e) => e.data.version);

    await publish('demo', '1.1.0');
    await waitFor(() => announced().includes('1.1.0'), { what: 'the poller to notice 1.1.0', timeoutMs: 15_000 });
    await publish('demo', '1.2.0');
    await waitFor(() => announced().includes('1.2.0'), { what: 'a later pass to notice 1.2.0', timeoutMs: 15_000 });
    await seen.stop();

    expect(announced()).toEqual(['1.1.0', '1.2.0']);
  });

  it.each([
    [
      'expired metadata',
      'METADATA_EXPIRED',
      async () => publish('demo', '1.1.0', { expiresInMs: { timestamp: -60_000 } }),
    ],
    [
      'a changed target byte',
      'TARGET_MISMATCH',
      async () => {
        await publish('demo', '1.1.0');
        await tamperArtifactByte(store, 'demo', '1.1.0', 10);
      },
    ],
  ])('%s gives check.failed and no release.available', async (_name, code, attack) => {
    await publish('demo', '1.0.0');
    await startChecker();
    await register('demo');
    await attack();
    const seen = await collectEvents(dep);

    const result = await checkNow('demo');
    await waitFor(() => seen.events.length >= 1, { what: 'check.failed' });
    await seen.stop();

    expect(result).toMatchObject({ ok: false, error: { code } });
    expect(seen.events.map((e) => e.type)).toEqual(['io.lockstep.check.failed.v1']);
    expect(seen.events[0].data).toMatchObject({ component: 'demo', code, reason: expect.any(String) });
  });

  it('an older metadata version (rollback) gives check.failed and no release.available', async () => {
    await publish('demo', '1.0.0');
    const old = await captureTufMetadata(store, 'demo');
    await publish('demo', '0.9.0');
    await startChecker();
    await register('demo');
    expect(await checkNow('demo')).toMatchObject({ ok: true, announced: [] });
    await old.restore();
    await publish('demo', '1.1.0', {}).catch(() => undefined);
    await old.restore();
    const seen = await collectEvents(dep);

    const result = await checkNow('demo');
    await waitFor(() => seen.events.length >= 1, { what: 'check.failed' });
    await seen.stop();

    expect(result).toMatchObject({ ok: false, error: { code: 'METADATA_ROLLBACK' } });
    expect(seen.events.map((e) => e.type)).toEqual(['io.lockstep.check.failed.v1']);
  });

  describe('release metadata freshness', () => {
    const DAY = 24 * 3600_000;
    /** Publishes as if two days ago: timestamp (1 day) and nothing else has expired. */
    const publishLongAgo = (component: string, version: string) =>
      new TufRepositoryWriter(() => new Date(Date.now() - 2 * DAY)).publish({
        store,
        component,
        artifact: Buffer.from(`${component} ${version} `.repeat(50)),
        version,
        channel: 'stable',
        keys,
      });

    it('a checker given the online key file re-signs an expired timestamp by itself, and the release verifies again', async () => {
      await publishLongAgo('demo', '1.1.0');
      const onlineKeys = join(mkdtempSync(join(tmpdir(), 'lockstep-online-')), 'lockstep-tuf-online-keys.json');
      writeFileSync(onlineKeys, serializeOnlineKeySet(keys), { mode: 0o600 });
      await startChecker({ LOCKSTEP_TUF_ONLINE_KEYS_FILE: onlineKeys, CHECKER_TUF_REFRESH_INTERVAL: '2s' });
      await register('demo');

      const result = await waitFor(
        async () => {
          const r = await checkNow('demo');
          return r.ok ? r : undefined;
        },
        { what: 'a check that passes once the checker re-signed the timestamp', intervalMs: 500 },
      );

      expect(result).toMatchObject({ ok: true, announced: ['1.1.0'] });
    });

    it('a checker without the online keys sends release.metadata_expiring before the timestamp expires', async () => {
      await new TufRepositoryWriter(() => new Date(Date.now() - 20 * 3600_000)).publish({
        store,
        component: 'demo',
        artifact: Buffer.from('demo 1.0.0'),
        version: '1.0.0',
        channel: 'stable',
        keys,
      });
      await startChecker({ CHECKER_TUF_REFRESH_INTERVAL: '2s' });
      const seen = await collectEvents(dep);
      await register('demo');

      await waitFor(() => seen.events.some((e) => e.type === 'io.lockstep.release.metadata_expiring.v1'), {
        what: 'release.metadata_expiring',
      });
      await seen.stop();

      const warning = seen.events.find((e) => e.type === 'io.lockstep.release.metadata_expiring.v1');
      expect(warning?.data).toMatchObject({ component: 'demo', role: 'timestamp', online: true });
      expect(new Date((warning?.data as { expiresAt: string }).expiresAt).getTime()).toBeGreaterThan(Date.now());
    });
  });
});
