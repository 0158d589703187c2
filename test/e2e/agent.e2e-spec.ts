import {
  CommandRefusal,
  NodeSubjects,
  Subjects,
  type InstallCommandV1,
  type InstallFinishedV1,
  type InstallProgressV1,
  type NodeRecordV1,
} from '@lockstep/contracts';
import { FleetLock, type FleetLease } from '@lockstep/fleet-lock';
import { ensureFleetTopology } from '@lockstep/messaging';
import {
  generateKeySet,
  generateSigningKey,
  resignRoleWithKey,
  tamperArtifactByte,
  trustedRootFor,
  TufRepositoryWriter,
} from '@lockstep/releases';
import { MinioObjectStore } from '@lockstep/storage';
import {
  buildDemoArtifact,
  buildMaliciousArtifact,
  freePort,
  repoRoot,
  startS3Server,
  startService,
  uniqueName,
  waitFor,
  type S3ServerHandle,
  type ServiceProcess,
} from '@lockstep/testing';
import {
  jetstream,
  jetstreamManager,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { headers, type NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const NATS_URL = process.env.LOCKSTEP_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const COMPONENT = 'demo';
const NODE = 'node-a';

interface Artifact {
  uri: string;
  sha256: string;
  length: number;
}

/**
 * One real agent process (the built installer) on real NATS, with s3rver holding a real TUF
 * repository of demo-app releases, supervising the demo app on its own port.
 */
describe('node agent (process)', () => {
  let s3: S3ServerHandle;
  let store: MinioObjectStore;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  let agent: ServiceProcess;
  let namespace: string;
  let work: string;
  let agentDir: string;
  let appPort: number;
  let env: Record<string, string>;
  let events: ConsumerMessages;
  /** The agent obeys only the live holder of the cluster lock: the spec holds it, as a scheduler would. */
  let lock: FleetLock;
  let lease: FleetLease;
  const progress: Array<InstallProgressV1 & { traceparent?: string }> = [];
  const finished: Array<{ id: string; data: InstallFinishedV1 }> = [];
  const keys = generateKeySet();
  const writer = new TufRepositoryWriter();
  const artifacts: Record<string, Artifact> = {};

  const publishRelease = async (version: string, bytes: Buffer): Promise<Artifact> => {
    const r = await writer.publish({ store, component: COMPONENT, artifact: bytes, version, channel: 'stable', keys });
    artifacts[version] = { uri: `s3://${store.bucket}/${r.artifactKey}`, sha256: r.sha256, length: r.length };
    return artifacts[version];
  };

  const command = (version: string, over: Partial<InstallCommandV1> = {}): InstallCommandV1 => ({
    commandId: randomUUID(),
    rolloutId: lease.rolloutId,
    nodeId: NODE,
    component: COMPONENT,
    version,
    action: 'install',
    artifact: artifacts[version],
    fencingToken: lease.token,
    lockKey: 'cluster',
    health: { minHealthyMs: 300, deadlineMs: 5000 },
    issuedAt: new Date().toISOString(),
    ...over,
  });

  const traceIds = new Map<string, string>();
  const send = async (cmd: InstallCommandV1, msgID = cmd.commandId) => {
    const traceId = traceIds.get(cmd.commandId) ?? randomUUID().replace(/-/g, '');
    traceIds.set(cmd.commandId, traceId);
    await js.publish(`${namespace}.${NodeSubjects.install(NODE)}`, JSON.stringify(cmd), {
      msgID,
      headers: traceHeaders(traceId),
    });
  };

  /** Sends a command and waits for its outcome; returns it with the command's progress events. */
  const run = async (
    cmd: InstallCommandV1,
  ): Promise<{ outcome: InstallFinishedV1; steps: Array<InstallProgressV1 & { traceparent?: string }> }> => {
    await send(cmd);
    const outcome = await waitForOutcome(cmd.commandId);
    return { outcome, steps: progress.filter((p) => p.commandId === cmd.commandId) };
  };

  const waitForOutcome = async (commandId: string, count = 1): Promise<InstallFinishedV1> => {
    const found = await waitFor(
      () => {
        const mine = finished.filter((f) => f.data.commandId === commandId);
        return mine.length >= count ? mine : undefined;
      },
      { timeoutMs: 20_000, what: `outcome of ${commandId}` },
    );
    return found![found!.length - 1].data;
  };

  const appVersion = async (): Promise<string> =>
    ((await (await fetch(`http://127.0.0.1:${appPort}/`)).json()) as { version: string }).version;
  const currentTarget = (): string => readlinkSync(join(agentDir, 'current'));
  const nodeRecord = async (): Promise<NodeRecordV1> => {
    const kv = await new Kvm(js).open(`${namespace.toUpperCase()}_NODES`);
    return (await kv.get(NODE))!.json<NodeRecordV1>();
  };
  const appPid = (): string => readFileSync(join(agentDir, 'state', 'app.pid'), 'utf8').trim();

  beforeAll(async () => {
    s3 = await startS3Server();
    store = new MinioObjectStore({
      endpoint: s3.endpoint,
      accessKey: s3.accessKey,
      secretKey: s3.secretKey,
      bucket: uniqueName('agent-'),
    });
    await store.ensureBucket();
    namespace = uniqueName('ag');
    nc = await connect({ servers: NATS_URL });
    js = jetstream(nc);
    jsm = await jetstreamManager(nc);
    await ensureFleetTopology(nc, namespace, { nodeIds: [NODE] });
    lock = await FleetLock.open(nc, namespace, { holder: 'agent-e2e', leaseMs: 15_000 });
    lease = (await lock.tryAcquire('rollout-1'))!;

    await publishRelease('1.0.0', buildDemoArtifact('1.0.0'));
    await publishRelease('1.1.0', buildDemoArtifact('1.1.0'));
    await publishRelease('1.2.0', buildDemoArtifact('1.2.0', { broken: true }));
    work = mkdtempSync(join(tmpdir(), 'lockstep-agent-e2e-'));
    agentDir = join(work, 'node-a');
    const rootPath = join(work, 'root.json');
    writeFileSync(rootPath, await trustedRootFor(store, COMPONENT));
    appPort = await freePort();

    const consumer = await js.consumers.get(`${namespace.toUpperCase()}_EVENTS`);
    events = await consumer.consume();
    void (async () => {
      for await (const m of events) {
        const ev = m.json<{ id: string; data: unknown }>();
        if (m.subject.includes(Subjects.InstallFinished))
          finished.push({ id: ev.id, data: ev.data as InstallFinishedV1 });
        else if (m.subject.includes(Subjects.InstallProgress))
          progress.push({ ...(ev.data as InstallProgressV1), traceparent: m.headers?.get('traceparent') });
      }
    })();

    env = {
      NATS_URL,
      NATS_NAMESPACE: namespace,
      S3_ENDPOINT: s3.endpoint,
      S3_ACCESS_KEY: s3.accessKey,
      S3_SECRET_KEY: s3.secretKey,
      NODE_ID: NODE,
      NODE_LABELS: 'group=canary,zone=a',
      AGENT_DIR: agentDir,
      AGENT_COMPONENT: COMPONENT,
      AGENT_SERVICE_MANAGER: 'supervise',
      AGENT_SUPERVISE_COMMAND: 'node server.js',
      APP_PORT: String(appPort),
      AGENT_TRUSTED_ROOT: rootPath,
      AGENT_HEARTBEAT: '500ms',
      AGENT_HEALTH_INTERVAL: '50ms',
      AGENT_MAX_UNPACKED_BYTES: '8MiB',
      AGENT_MIN_FREE_DISK: '1MiB',
      SHUTDOWN_TIMEOUT: '10s',
    };
    agent = await startService('installer', env);
    await waitFor(() => nodeRecord().catch(() => undefined), { what: 'node record' });
  });

  afterAll(async () => {
    if (process.env.AGENT_E2E_LOG) writeFileSync(process.env.AGENT_E2E_LOG, agent?.output() ?? '');
    await agent?.kill('SIGTERM');
    // An app orphaned by a test that failed between a SIGKILL and the restart.
    const orphan = Number(agentDir && existsSync(join(agentDir, 'state', 'app.pid')) ? appPid() : NaN);
    if (orphan > 1) {
      try {
        process.kill(-orphan, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await events?.close();
    await lease?.release().catch(() => undefined);
    for (const s of ['EVENTS', 'COMMANDS', 'DEAD_LETTERS'])
      await jsm?.streams.delete(`${namespace.toUpperCase()}_${s}`).catch(() => undefined);
    for (const b of ['NODES', 'LOCKS'])
      await jsm?.streams.delete(`KV_${namespace.toUpperCase()}_${b}`).catch(() => undefined);
    await nc?.close();
    await s3?.stop(true);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it.each([
    [{ AGENT_DIR: 'relative/dir' }, /AGENT_DIR: expected an absolute path/],
    [{ AGENT_SERVICE_MANAGER: 'systemd' }, /AGENT_SYSTEMD_UNIT: required when AGENT_SERVICE_MANAGER=systemd/],
  ])('stops at once on a bad setting and names it (%p)', (change, message) => {
    const run = spawnSync(process.execPath, [join(repoRoot(), 'dist', 'services', 'installer', 'src', 'main.js')], {
      env: { ...process.env, ...env, ...change },
      encoding: 'utf8',
      timeout: 20_000,
    });

    expect(run.status).toBe(78);
    expect(run.stderr).toMatch(message);
  });

  it('registers the node with its labels and heartbeats', async () => {
    const first = await nodeRecord();
    const later = await waitFor(
      async () => {
        const r = await nodeRecord();
        return r.seenAt > first.seenAt ? r : undefined;
      },
      { what: 'a newer heartbeat' },
    );

    expect(first).toMatchObject({
      id: NODE,
      labels: { group: 'canary', zone: 'a' },
      components: {},
      agentVersion: expect.any(String),
    });
    expect(later!.state).toBe('idle');
  });

  it('installs 1.0.0 then 1.1.0: steps in order, health gate passed, current and the app on 1.1.0', async () => {
    const first = await run(command('1.0.0'));
    const configPath = join(agentDir, 'shared', 'config.json');
    writeFileSync(
      configPath,
      JSON.stringify({ ...JSON.parse(readFileSync(configPath, 'utf8')), greeting: 'set by the operator' }),
    );
    const second = await run(command('1.1.0'));

    expect(first.outcome).toMatchObject({
      result: 'succeeded',
      runningVersion: '1.0.0',
      previousVersion: null,
      noop: false,
    });
    expect(second.outcome).toMatchObject({ result: 'succeeded', runningVersion: '1.1.0', previousVersion: '1.0.0' });
    // The pre-update backup (of shared/, policy on by default) reports its progress as several backing_up events.
    expect(second.steps.map((s) => s.step).filter((s, i, all) => s !== all[i - 1])).toEqual([
      'preflight',
      'backing_up',
      'downloading',
      'verifying',
      'unpacking',
      'migrating_config',
      'migrate_hook',
      'swapping',
      'restarting',
      'health_check',
    ]);
    expect(second.outcome.backupId).toMatch(/^preupdate_/);
    const percents = second.steps.map((s) => s.percent);
    expect([...percents].sort((a, b) => a - b)).toEqual(percents);
    expect(new Set(second.steps.map((s) => s.traceparent?.split('-')[1]))).toEqual(
      new Set([traceIds.get(second.outcome.commandId)]),
    );
    expect(currentTarget()).toBe('releases/1.1.0');
    expect(await appVersion()).toBe('1.1.0');
    expect((await nodeRecord()).components).toEqual({ [COMPONENT]: '1.1.0' });
    const config = JSON.parse(readFileSync(configPath, 'utf8'));
    expect(config).toEqual({
      greeting: 'set by the operator',
      limits: { requestsPerSecond: 100 },
      features: { 'since-1.0.0': true, 'since-1.1.0': true },
    });
    expect(((await (await fetch(`http://127.0.0.1:${appPort}/`)).json()) as { greeting: string }).greeting).toBe(
      'set by the operator',
    );
    expect(readFileSync(join(agentDir, 'shared', 'migrations.log'), 'utf8')).toBe(
      'migrated to 1.0.0 from nothing\nmigrated to 1.1.0 from 1.0.0\n',
    );
  });

  it('rolls a broken 1.2.0 back to 1.1.0', async () => {
    const { outcome, steps } = await run(command('1.2.0', { health: { minHealthyMs: 300, deadlineMs: 1500 } }));

    expect(outcome).toMatchObject({
      result: 'rolled_back',
      failedStep: 'health_check',
      runningVersion: '1.1.0',
      previousVersion: '1.1.0',
      error: expect.stringMatching(/HEALTH_GATE_FAILED.*HTTP 500/),
    });
    expect(steps.map((s) => s.step).slice(-3)).toEqual(['restarting', 'health_check', 'rolling_back']);
    expect(currentTarget()).toBe('releases/1.1.0');
    expect(await appVersion()).toBe('1.1.0');
  });

  it('executes the same command once, however often it arrives, and rolls back to a kept release without downloading', async () => {
    const cmd = command('1.0.0', { action: 'rollback' });

    await send(cmd);
    await waitForOutcome(cmd.commandId);
    await send(cmd, `${cmd.commandId}-again`);
    const replayed = await waitForOutcome(cmd.commandId, 2);

    const steps = progress.filter((p) => p.commandId === cmd.commandId).map((p) => p.step);
    expect(replayed).toMatchObject({ result: 'succeeded', runningVersion: '1.0.0', previousVersion: '1.1.0' });
    expect(steps.filter((s) => s === 'preflight')).toHaveLength(1);
    expect(steps).not.toContain('downloading');
    expect(await appVersion()).toBe('1.0.0');
  });

  it('reports a no-op without restarting when the node already runs the version', async () => {
    const pid = appPid();

    const { outcome } = await run(command('1.0.0'));

    expect(outcome).toMatchObject({ result: 'succeeded', noop: true, runningVersion: '1.0.0' });
    expect(appPid()).toBe(pid);
  });

  it('rejects a command of a replaced lock holder and changes nothing', async () => {
    const replaced = command('1.1.0');
    await lease.release();
    lease = (await lock.tryAcquire('rollout-2'))!;

    const { outcome, steps } = await run(replaced);

    expect(outcome).toMatchObject({
      result: 'rejected',
      refusal: CommandRefusal.NotLiveHolder,
      runningVersion: '1.0.0',
      error: expect.stringMatching(new RegExp(`token ${replaced.fencingToken} .*is not the token ${lease.token}`)),
    });
    expect(steps).toEqual([]);
    expect(currentTarget()).toBe('releases/1.0.0');
  });

  it('finishes an install whose agent was SIGKILLed during the health gate', async () => {
    const cmd = command('1.1.0', { health: { minHealthyMs: 3000, deadlineMs: 10_000 } });
    await send(cmd);
    await waitFor(() => progress.some((p) => p.commandId === cmd.commandId && p.step === 'health_check'), {
      what: 'health check started',
    });

    await agent.kill('SIGKILL');
    agent = await startService('installer', env);
    const outcome = await waitForOutcome(cmd.commandId);

    expect(outcome).toMatchObject({ result: 'succeeded', runningVersion: '1.1.0', previousVersion: '1.0.0' });
    expect(currentTarget()).toBe('releases/1.1.0');
    expect(await appVersion()).toBe('1.1.0');
  });

  describe('refuses bad artifacts and stays on its version', () => {
    const refused = async (cmd: InstallCommandV1, step: string, error: RegExp) => {
      const { outcome } = await run(cmd);

      expect(outcome).toMatchObject({
        result: 'failed',
        failedStep: step,
        runningVersion: '1.1.0',
        error: expect.stringMatching(error),
      });
      expect(currentTarget()).toBe('releases/1.1.0');
      expect(await appVersion()).toBe('1.1.0');
      expect(existsSync(join(agentDir, 'releases', `${cmd.version}`))).toBe(false);
      expect(existsSync(join(agentDir, 'releases', `${cmd.version}.partial`))).toBe(false);
    };

    it('a tampered artifact byte (against the command, and against TUF when the command agrees with the bytes)', async () => {
      const published = await publishRelease('1.3.0', buildDemoArtifact('1.3.0'));
      await tamperArtifactByte(store, COMPONENT, '1.3.0', 200);
      const tampered = await store.get(published.uri.replace(`s3://${store.bucket}/`, ''));

      await refused(command('1.3.0'), 'verifying', /ARTIFACT_MISMATCH/);
      await refused(
        command('1.3.0', {
          artifact: { ...published, sha256: createHash('sha256').update(tampered).digest('hex') },
        }),
        'verifying',
        /TUF_TARGET_MISMATCH: .*does not match its TUF-signed target/,
      );
    });

    it.each([
      ['an archive with a ../ entry', 'dotdot', '1.5.0', /UNSAFE_ARCHIVE: .*climbs out of the release/],
      ['an archive with an escaping symlink', 'symlink', '1.6.0', /UNSAFE_ARCHIVE: .*outside the release/],
    ] as const)('%s', async (_what, kind, version, error) => {
      await publishRelease(version, buildMaliciousArtifact(kind, version));

      await refused(command(version), 'unpacking', error);
      expect(existsSync(join(agentDir, 'escaped.txt'))).toBe(false);
      expect(existsSync(join(agentDir, 'releases', 'escaped.txt'))).toBe(false);
      expect(existsSync(join(work, 'escaped.txt'))).toBe(false);
    });

    it('metadata signed by a key the pinned root does not trust', async () => {
      await publishRelease('1.4.0', buildDemoArtifact('1.4.0'));
      await resignRoleWithKey(store, COMPONENT, keys, 'targets', generateSigningKey());

      await refused(command('1.4.0'), 'verifying', /TUF_BAD_SIGNATURE/);
    });
  });

  describe('at the end', () => {
    it('drains on SIGTERM: exits 0 and stops the app it supervises', async () => {
      const code = await agent.kill('SIGTERM');

      expect(code).toBe(0);
      await expect(fetch(`http://127.0.0.1:${appPort}/health`)).rejects.toThrow();
      expect(existsSync(join(agentDir, 'state', 'app.pid'))).toBe(false);
    });
  });
});

/** Headers with a W3C traceparent, as a conductor sends them. */
function traceHeaders(traceId: string) {
  const h = headers();
  h.set('traceparent', `00-${traceId}-${randomUUID().replace(/-/g, '').slice(0, 16)}-01`);
  return h;
}
