import {
  CommandRefusal,
  NodeSubjects,
  Subjects,
  type InstallCommandV1,
  type InstallFinishedV1,
} from '@lockstep/contracts';
import { FleetLock, type FleetLease } from '@lockstep/fleet-lock';
import { ensureFleetTopology } from '@lockstep/messaging';
import { generateKeySet, trustedRootFor, TufRepositoryWriter } from '@lockstep/releases';
import { MinioObjectStore } from '@lockstep/storage';
import {
  buildDemoArtifact,
  freePort,
  startS3Server,
  uniqueName,
  waitFor,
  type S3ServerHandle,
} from '@lockstep/testing';
import { jetstream, jetstreamManager, type ConsumerMessages, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { randomUUID } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeAgentRuntime } from './node-agent.runtime';
import { testAgentSettings } from './testing/test-agent-settings';
import { silentLogger } from './support/logger';

const NATS_URL = process.env.LOCKSTEP_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const NODE = 'node-a';
const COMPONENT = 'demo';
const MAX_AGE_MS = 5 * 60_000;

/**
 * The agent obeys only the live holder of its own lock: a real agent runtime (real app directory,
 * supervised demo app, TUF-verified artifacts on s3rver) on a real nats-server, with a real
 * FleetLock holder in the real lock bucket, sent forged commands on its own command subject.
 */
describe('agent command admission (real NATS, real lock bucket)', () => {
  let s3: S3ServerHandle;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let namespace: string;
  let work: string;
  let runtime: NodeAgentRuntime;
  let lock: FleetLock;
  let lease: FleetLease | undefined;
  let events: ConsumerMessages;
  let clock: number;
  const finished: InstallFinishedV1[] = [];
  const artifacts: Record<string, InstallCommandV1['artifact']> = {};

  const agentDir = () => join(work, NODE);
  const current = () => readlinkSync(join(agentDir(), 'current'));
  const fence = () =>
    (JSON.parse(readFileSync(join(agentDir(), 'state', 'fencing.json'), 'utf8')) as { highest: Record<string, number> })
      .highest.cluster;

  const command = (version: string, over: Partial<InstallCommandV1> = {}): InstallCommandV1 => ({
    commandId: randomUUID(),
    rolloutId: lease!.rolloutId,
    nodeId: NODE,
    component: COMPONENT,
    version,
    action: 'install',
    artifact: artifacts[version],
    fencingToken: lease!.token,
    lockKey: 'cluster',
    health: { minHealthyMs: 100, deadlineMs: 10_000 },
    issuedAt: new Date(clock).toISOString(),
    ...over,
  });

  /** Publishes `cmd` on `node`'s command subject (default: this agent's) and waits for its outcome. */
  const run = async (cmd: InstallCommandV1, node = NODE): Promise<InstallFinishedV1> => {
    await jetstream(nc).publish(`${namespace}.${NodeSubjects.install(node)}`, JSON.stringify(cmd), {
      msgID: cmd.commandId,
    });
    return (await waitFor(() => finished.find((f) => f.commandId === cmd.commandId), {
      timeoutMs: 30_000,
      what: `outcome of ${cmd.commandId}`,
    }))!;
  };

  const takeLock = async (rolloutId: string): Promise<FleetLease> => {
    const taken = await lock.tryAcquire(rolloutId);
    if (!taken) throw new Error('the test could not take the lock');
    return taken;
  };

  beforeAll(async () => {
    s3 = await startS3Server();
    const store = new MinioObjectStore({
      endpoint: s3.endpoint,
      accessKey: s3.accessKey,
      secretKey: s3.secretKey,
      bucket: uniqueName('adm-'),
    });
    await store.ensureBucket();
    const keys = generateKeySet();
    const writer = new TufRepositoryWriter();
    for (const version of ['1.0.0', '1.1.0', '1.2.0']) {
      const r = await writer.publish({
        store,
        component: COMPONENT,
        artifact: buildDemoArtifact(version),
        version,
        channel: 'stable',
        keys,
      });
      artifacts[version] = { uri: `s3://${store.bucket}/${r.artifactKey}`, sha256: r.sha256, length: r.length };
    }
    namespace = uniqueName('adm');
    nc = await connect({ servers: NATS_URL });
    jsm = await jetstreamManager(nc);
    await ensureFleetTopology(nc, namespace, { nodeIds: [NODE] });
    events = await (await jetstream(nc).consumers.get(`${namespace.toUpperCase()}_EVENTS`)).consume();
    void (async () => {
      for await (const m of events)
        if (m.subject.includes(Subjects.InstallFinished)) finished.push(m.json<{ data: InstallFinishedV1 }>().data);
    })();
    lock = await FleetLock.open(nc, namespace, { holder: 'test-scheduler', leaseMs: 15_000 });

    work = await mkdtemp(join(tmpdir(), 'lockstep-admission-'));
    const appPort = await freePort();
    clock = Date.now();
    runtime = new NodeAgentRuntime(
      testAgentSettings(
        { nodeId: NODE, dir: agentDir(), component: COMPONENT, appPort },
        {
          trustedRoot: await trustedRootFor(store, COMPONENT),
          s3: { endpoint: s3.endpoint, accessKey: s3.accessKey, secretKey: s3.secretKey },
          commandMaxAgeMs: MAX_AGE_MS,
        },
      ),
      { nc, namespace },
      { logger: silentLogger, now: () => clock },
    );
    await runtime.start();
  });

  afterAll(async () => {
    await lease?.release().catch(() => undefined);
    await runtime?.stop();
    await events?.close();
    for (const s of ['EVENTS', 'COMMANDS', 'DEAD_LETTERS'])
      await jsm?.streams.delete(`${namespace.toUpperCase()}_${s}`).catch(() => undefined);
    for (const b of ['NODES', 'LOCKS'])
      await jsm?.streams.delete(`KV_${namespace.toUpperCase()}_${b}`).catch(() => undefined);
    await nc?.close();
    await s3?.stop(true);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('installs what the live holder sends', async () => {
    lease = await takeLock('rollout-1');

    const outcome = await run(command('1.0.0'));

    expect(outcome).toMatchObject({ result: 'succeeded', runningVersion: '1.0.0' });
    expect(current()).toBe('releases/1.0.0');
    expect(fence()).toBe(lease.token);
  });

  it.each<[string, () => Promise<InstallFinishedV1>, CommandRefusal]>([
    [
      'a forged fencing token of 2^53-1',
      () => run(command('1.1.0', { rolloutId: 'forged', fencingToken: Number.MAX_SAFE_INTEGER })),
      CommandRefusal.NotLiveHolder,
    ],
    [
      'a token above the live one, even naming the live rollout',
      () => run(command('1.1.0', { fencingToken: lease!.token + 1 })),
      CommandRefusal.NotLiveHolder,
    ],
    [
      'a lock key that does not exist',
      () => run(command('1.1.0', { lockKey: 'nobody-holds-this' })),
      CommandRefusal.UnknownLockKey,
    ],
    [
      'a stale issuedAt',
      () => run(command('1.1.0', { issuedAt: new Date(clock - MAX_AGE_MS - 1000).toISOString() })),
      CommandRefusal.Expired,
    ],
    [
      "another node's id, on this node's subject",
      () => run(command('1.1.0', { nodeId: 'node-b' })),
      CommandRefusal.WrongNode,
    ],
    [
      'no live holder (the lease was released)',
      async () => {
        const fromReleased = command('1.1.0');
        await lease!.release();
        lease = undefined;
        return run(fromReleased);
      },
      CommandRefusal.NoLiveHolder,
    ],
  ])('refuses %s with its reason, leaving the fence and current as they were', async (_what, send, refusal) => {
    lease ??= await takeLock(`rollout-${randomUUID()}`);
    const fenceBefore = fence();

    const outcome = await send();

    expect(outcome).toMatchObject({ result: 'rejected', refusal, runningVersion: '1.0.0' });
    expect(outcome.error).toMatch(new RegExp(`^${refusal}: `));
    expect(fence()).toBe(fenceBefore);
    expect(current()).toBe('releases/1.0.0');
  });

  it('then installs what a real holder sends next, on the same node', async () => {
    lease ??= await takeLock('rollout-2');

    const outcome = await run(command('1.2.0'));

    expect(outcome).toMatchObject({ result: 'succeeded', runningVersion: '1.2.0' });
    expect(current()).toBe('releases/1.2.0');
    expect(fence()).toBe(lease.token);
  });
});
