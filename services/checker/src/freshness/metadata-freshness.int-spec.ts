import { AllowList, createGuardedFetch } from '@lockstep/net-guard';
import { Logger } from '@nestjs/common';
import { Subjects, type ReleaseMetadataExpiringV1 } from '@lockstep/contracts';
import { TufArtifactVerifier } from '@lockstep/agent';
import { loadConfig } from '@lockstep/config';
import { createDataSource, OutboxMessageEntity, runMigrations } from '@lockstep/persistence';
import {
  captureTufMetadata,
  expiryPolicyFor,
  generateKeySet,
  parseOnlineKeySet,
  ReleaseErrorCode,
  serializeOnlineKeySet,
  trustedRootFor,
  TufRepositoryWriter,
  UNREFRESHED_EXPIRY_MS,
  type ExpiryPolicy,
} from '@lockstep/releases';
import { MinioObjectStore } from '@lockstep/storage';
import { MetricsRegistry } from '@lockstep/telemetry';
import {
  createTestDatabase,
  startS3Server,
  uniqueName,
  type S3ServerHandle,
  type TestDatabase,
} from '@lockstep/testing';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { checkerSchema, type CheckerConfig } from '../checker.config';
import { TufReleaseSource, TufSourceConfig } from '../sources/tuf';
import { MetadataFreshnessRepository } from './metadata-freshness.repository';
import { MetadataFreshnessService } from './metadata-freshness.service';

const HOUR = 3600_000;
const DAY = 24 * HOUR;

describe(MetadataFreshnessService.name, () => {
  let s3: S3ServerHandle;
  let store: MinioObjectStore;
  let db: TestDatabase;
  let ds: DataSource;
  let scratch: string;
  const keys = generateKeySet();
  /** The clock every service and writer in this file reads; tests move it. */
  let now: Date;
  const clock = () => now;

  beforeAll(async () => {
    Logger.overrideLogger(['error']);
    s3 = await startS3Server();
    store = new MinioObjectStore({
      endpoint: s3.endpoint,
      accessKey: s3.accessKey,
      secretKey: s3.secretKey,
      bucket: uniqueName('fresh'),
    });
    await store.ensureBucket();
    db = await createTestDatabase('lockstep_freshness');
    ds = createDataSource(db.url);
    await ds.initialize();
    await runMigrations(ds);
    scratch = mkdtempSync(join(tmpdir(), 'lockstep-freshness-'));
  });
  afterAll(async () => {
    await ds.destroy();
    await db.drop();
    await s3.stop(true);
    rmSync(scratch, { recursive: true, force: true });
  });

  const configWith = (env: NodeJS.ProcessEnv): CheckerConfig => loadConfig('checker', checkerSchema, env);
  const withKeys = configWith({ LOCKSTEP_TUF_ONLINE_KEYS: serializeOnlineKeySet(keys) });
  const withoutKeys = configWith({});

  /** A checker replica: its own repository (own sessions for the advisory lock) on the shared database. */
  const replica = (
    config: CheckerConfig,
    metrics = new MetricsRegistry({ serviceName: 'checker', defaultMetrics: false }),
  ): MetadataFreshnessService =>
    new MetadataFreshnessService(new MetadataFreshnessRepository(ds, clock, store), config, clock, metrics);

  /** Publishes version 1.0.0 of a new component at the test clock and registers it as an s3-mode tuf component. */
  const publishAt = async (at: Date, expiresInMs?: ExpiryPolicy) => {
    now = at;
    const component = uniqueName('c');
    const artifact = Buffer.from(`${component} 1.0.0 bytes`);
    await new TufRepositoryWriter(clock).publish({
      store,
      component,
      artifact,
      version: '1.0.0',
      channel: 'stable',
      keys,
      expiresInMs,
    });
    const trustedRoot = (await trustedRootFor(store, component)).toString();
    await ds.query(`INSERT INTO components (name, source_type, source_config) VALUES ($1, 'tuf', $2)`, [
      component,
      JSON.stringify({ mode: 's3', trustedRoot }),
    ]);
    return { component, artifact, trustedRoot };
  };

  /** What the checker's tuf source reads and trusts of a component now (real time, as a check runs). */
  const checkNow = (component: string, trustedRoot: string) =>
    new TufReleaseSource().check({
      component,
      config: TufSourceConfig.parse({ mode: 's3', trustedRoot }),
      state: {},
      signal: new AbortController().signal,
      objectStore: store,
      workDir: mkdtempSync(join(scratch, 'check-')),
      fetch: createGuardedFetch({ allowList: AllowList.none('CHECKER_ALLOWED_DESTINATIONS') }),
    });

  const warningsFor = async (component: string): Promise<ReleaseMetadataExpiringV1[]> => {
    const rows = await ds
      .getRepository(OutboxMessageEntity)
      .find({ where: { subject: Subjects.ReleaseMetadataExpiring }, order: { id: 'ASC' } });
    return rows
      .map((r) => (r.event as { data: ReleaseMetadataExpiringV1 }).data)
      .filter((w) => w.component === component);
  };

  it('keeps a repository with no publish for 90 days verifiable at the checker and at an agent, re-signing once per interval across two replicas', async () => {
    const start = new Date(Date.now() - 90 * DAY);
    const { component, artifact, trustedRoot } = await publishAt(start);
    const replicas = [replica(withKeys), replica(withKeys)];
    let refreshes = 0;

    for (let t = start.getTime() + HOUR; t <= Date.now(); t += 90 * 60_000) {
      now = new Date(t);
      const outcomes = (await Promise.all(replicas.map((r) => r.runAll())))
        .flat()
        .filter((o) => o.component === component);
      refreshes += outcomes.filter((o) => o.refreshed.includes('timestamp')).length;
    }
    const check = await checkNow(component, trustedRoot);
    const agentVerify = new TufArtifactVerifier({
      pinnedRoot: Buffer.from(trustedRoot),
      stateDir: mkdtempSync(join(scratch, 'agent-')),
      storeFor: () => store,
      fetch: createGuardedFetch({ allowList: AllowList.none('AGENT_ALLOWED_DESTINATIONS') }),
      timeoutMs: 10_000,
    }).verify(component, '1.0.0', `s3://${store.bucket}/components/${component}/artifacts/${component}-1.0.0.tar.gz`, {
      sha256: createHash('sha256').update(artifact).digest('hex'),
      length: artifact.length,
    });

    expect(check.releases.map((r) => r.version)).toEqual(['1.0.0']);
    await expect(agentVerify).resolves.toBeUndefined();
    // one re-sign per 6 h interval over 90 days, never two for the same interval
    expect(refreshes).toBeGreaterThanOrEqual(90 * 4 - 4);
    expect(refreshes).toBeLessThanOrEqual(90 * 4 + 1);
    expect(await warningsFor(component)).toEqual([]);
    const [audited] = await ds.query<Array<{ n: string; actor: string; outcome: string }>>(
      `SELECT count(*) AS n, min(actor_id) AS actor, min(outcome) AS outcome FROM audit_log
        WHERE action = 'release.metadata-refresh' AND target = $1`,
      [component],
    );
    expect(audited).toEqual({ n: String(refreshes), actor: 'checker', outcome: 'ok' });
  }, 120_000);

  it('with the online keys withheld, sends release.metadata_expiring once, before the timestamp expires', async () => {
    const { component } = await publishAt(new Date(Date.now() - 2 * DAY));
    const expiresAt = now.getTime() + DAY;
    const sut = replica(withoutKeys);
    let firstWarnedAt: number | undefined;

    for (let t = now.getTime(); t < expiresAt; t += 30 * 60_000) {
      now = new Date(t);
      const [outcome] = (await sut.runAll()).filter((o) => o.component === component);
      if (outcome?.warned.length && firstWarnedAt === undefined) firstWarnedAt = t;
    }

    const warnings = await warningsFor(component);
    expect(warnings).toEqual([
      expect.objectContaining({
        component,
        role: 'timestamp',
        online: true,
        expiresAt: new Date(expiresAt).toISOString().replace(/\.\d{3}Z$/, '.000Z'),
        action: expect.stringContaining('LOCKSTEP_TUF_ONLINE_KEYS_FILE'),
      }),
    ]);
    expect(firstWarnedAt).toBeLessThan(expiresAt - 6 * HOUR);
  });

  it('warns about targets (signed offline) seven days before they expire, even while the online roles stay fresh', async () => {
    const { component } = await publishAt(new Date(Date.now() - 30 * DAY), { targets: 10 * DAY });
    const targetsExpire = now.getTime() + 10 * DAY;
    const metrics = new MetricsRegistry({ serviceName: 'checker', defaultMetrics: false });
    const sut = replica(withKeys, metrics);
    let firstWarnedAt: number | undefined;

    for (let t = now.getTime(); t < targetsExpire; t += 6 * HOUR) {
      now = new Date(t);
      const [outcome] = (await sut.runAll()).filter((o) => o.component === component);
      if (outcome?.warned.includes('targets')) firstWarnedAt = t;
    }

    expect(await warningsFor(component)).toEqual([
      expect.objectContaining({
        role: 'targets',
        online: false,
        action: expect.stringContaining(`lockstep release refresh --component ${component}`),
      }),
    ]);
    expect(targetsExpire - firstWarnedAt!).toBeLessThanOrEqual(7 * DAY);
    expect(targetsExpire - firstWarnedAt!).toBeGreaterThan(6 * DAY);
    const gauge = new RegExp(
      `lockstep_release_metadata_expires_timestamp_seconds\\{component="${component}",role="targets",service="checker"\\} ${Math.floor(targetsExpire / 1000)}`,
    );
    expect(await metrics.render()).toMatch(gauge);
  });

  it('refuses to re-sign metadata put back below what it signed last, and audits, logs and counts the refusal', async () => {
    const { component } = await publishAt(new Date(Date.now() - 2 * DAY));
    const published = await captureTufMetadata(store, component);
    const metrics = new MetricsRegistry({ serviceName: 'checker', defaultMetrics: false });
    const sut = replica(withKeys, metrics);
    now = new Date(now.getTime() + 7 * HOUR);
    const [first] = (await sut.runAll()).filter((o) => o.component === component);
    // someone with write access to the bucket puts the published (validly signed) files back
    await published.restore();
    now = new Date(now.getTime() + 7 * HOUR);

    const [second] = (await sut.runAll()).filter((o) => o.component === component);

    expect(first).toMatchObject({ refreshed: ['timestamp'] });
    expect(second).toMatchObject({
      refreshed: [],
      error: expect.stringMatching(/timestamp is version 1, below version 2.*Nothing was re-signed/),
    });
    expect((await new TufRepositoryWriter(clock).expiry(store, component)).timestamp.version).toBe(1);
    const audited = await ds.query<Array<{ outcome: string; code: string }>>(
      `SELECT outcome, params->>'code' AS code FROM audit_log
        WHERE action = 'release.metadata-refresh' AND target = $1 ORDER BY id`,
      [component],
    );
    expect(audited).toEqual([
      { outcome: 'ok', code: null },
      { outcome: 'failed', code: ReleaseErrorCode.RepositoryUntrusted },
    ]);
    expect(await metrics.render()).toMatch(
      new RegExp(
        `lockstep_release_metadata_refresh_failures_total\\{component="${component}",code="${ReleaseErrorCode.RepositoryUntrusted}"[^}]*\\} 1`,
      ),
    );
  });

  it('refuses a release set put back below what the last check trusted, though the refresher never signed the newer one', async () => {
    const { component, trustedRoot } = await publishAt(new Date(Date.now() - HOUR));
    const first = await captureTufMetadata(store, component);
    await new TufRepositoryWriter(clock).publish({
      store,
      component,
      artifact: Buffer.from('1.0.1'),
      version: '1.0.1',
      channel: 'stable',
      keys,
    });
    const check = await checkNow(component, trustedRoot);
    await ds.query(`INSERT INTO source_states (component, state) VALUES ($1, $2)`, [
      component,
      JSON.stringify(check.state),
    ]);
    await first.restore();
    now = new Date(now.getTime() + 7 * HOUR);

    const [outcome] = (await replica(withKeys).runAll()).filter((o) => o.component === component);

    expect(check.releases.map((r) => r.version)).toEqual(['1.0.0', '1.0.1']);
    expect(outcome.error).toMatch(/targets is version 1, below version 2/);
    expect((await new TufRepositoryWriter(clock).expiry(store, component)).timestamp.version).toBe(1);
  });

  it('without online keys, warns at its first pass about a timestamp only a refresher keeps valid; with them, marks the repository once it re-signed it, so the next publish signs a day-long timestamp', async () => {
    const { component } = await publishAt(new Date(Date.now() - 7 * HOUR));
    const policyBefore = await expiryPolicyFor(store, component, now);
    const published = now;

    const [alone] = (await replica(withoutKeys).runAll()).filter((o) => o.component === component);
    const [unproven] = (await replica(withKeys).runAll()).filter((o) => o.component === component);
    const policyUnproven = await expiryPolicyFor(store, component, now);
    now = new Date(published.getTime() + 7 * HOUR);
    const [served] = (await replica(withKeys).runAll()).filter((o) => o.component === component);

    expect(alone.warned).toEqual(['timestamp']);
    expect(await warningsFor(component)).toEqual([
      expect.objectContaining({
        role: 'timestamp',
        online: true,
        action: expect.stringContaining('LOCKSTEP_TUF_ONLINE_KEYS_FILE'),
      }),
    ]);
    // nothing was due yet, and no refresh ever worked: no mark
    expect(unproven).toMatchObject({ refreshed: [] });
    expect(policyUnproven).toEqual(UNREFRESHED_EXPIRY_MS);
    expect(served).toMatchObject({ refreshed: ['timestamp'] });
    expect(served.error).toBeUndefined();
    expect(policyBefore).toEqual(UNREFRESHED_EXPIRY_MS);
    expect(await expiryPolicyFor(store, component, now)).toEqual({});
    expect(await expiryPolicyFor(store, component, new Date(now.getTime() + 3 * DAY))).toEqual(UNREFRESHED_EXPIRY_MS);
  });

  it('marks the repository only while its refreshes work: with every refresh refused, publishes sign the long timestamp, not a day-long one nobody renews', async () => {
    const { component, trustedRoot } = await publishAt(new Date(Date.now() - 4 * DAY));
    const start = now.getTime();
    // the component's pinned root is another repository's: every refresh is refused, though the bucket root trusts the keys
    const other = uniqueName('other');
    await new TufRepositoryWriter(clock).publish({
      store,
      component: other,
      artifact: Buffer.from('other'),
      version: '1.0.0',
      channel: 'stable',
      keys: generateKeySet(),
    });
    await ds.query(`UPDATE components SET source_config = $2 WHERE name = $1`, [
      component,
      JSON.stringify({ mode: 's3', trustedRoot: (await trustedRootFor(store, other)).toString() }),
    ]);
    const sut = replica(withKeys);
    const errors = new Set<string>();
    const refreshed: string[] = [];
    const policies: ExpiryPolicy[] = [];

    for (let t = start + HOUR; t <= start + 3 * DAY; t += HOUR) {
      now = new Date(t);
      if ((t - start) % DAY === 0) {
        // a daily publish signs with the policy lockstep release publish would use
        const policy = await expiryPolicyFor(store, component, now);
        policies.push(policy);
        const version = `1.0.${policies.length}`;
        await new TufRepositoryWriter(clock).publish({
          store,
          component,
          artifact: Buffer.from(version),
          version,
          channel: 'stable',
          keys,
          expiresInMs: policy,
        });
      }
      const [outcome] = (await sut.runAll()).filter((o) => o.component === component);
      refreshed.push(...outcome.refreshed);
      // passes with nothing due try no refresh
      if (outcome.error) errors.add(outcome.error.replace(/.*does not verify: /, '').slice(0, 40));
    }

    expect(refreshed).toEqual([]);
    expect([...errors]).toEqual([expect.stringMatching(/root\.json differs from 1\.root\.json/)]);
    expect(policies).toEqual([UNREFRESHED_EXPIRY_MS, UNREFRESHED_EXPIRY_MS, UNREFRESHED_EXPIRY_MS]);
    // once the right root is pinned, the next refresh works and the mark is back
    await ds.query(`UPDATE components SET source_config = $2 WHERE name = $1`, [
      component,
      JSON.stringify({ mode: 's3', trustedRoot }),
    ]);
    now = new Date(now.getTime() + HOUR);
    const [recovered] = (await sut.runAll()).filter((o) => o.component === component);
    expect(recovered.refreshed).toContain('timestamp');
    expect(await expiryPolicyFor(store, component, now)).toEqual({});
  });

  it('refuses online keys that do not parse, naming the setting', () => {
    const act = () => configWith({ LOCKSTEP_TUF_ONLINE_KEYS: '{"format":"nope"}' });

    expect(act).toThrow(/LOCKSTEP_TUF_ONLINE_KEYS.*LOCKSTEP_TUF_ONLINE_KEYS_FILE/s);
    expect(parseOnlineKeySet(serializeOnlineKeySet(keys)).keys.timestamp.keyId).toBe(keys.keys.timestamp.keyId);
  });
});
