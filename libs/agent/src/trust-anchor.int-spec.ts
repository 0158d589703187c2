import {
  CommandRefusal,
  NodeSubjects,
  Subjects,
  type InstallCommandV1,
  type InstallFinishedV1,
} from '@lockstep/contracts';
import { FleetLock, type FleetLease } from '@lockstep/fleet-lock';
import { ensureFleetTopology } from '@lockstep/messaging';
import { buildDemoArtifact, FakeNpmRegistry, freePort, uniqueName, waitFor } from '@lockstep/testing';
import { jetstream, jetstreamManager, type ConsumerMessages, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { randomUUID } from 'node:crypto';
import { existsSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentErrorCode } from './errors';
import { NodeAgentRuntime } from './node-agent.runtime';
import type { AgentSettings } from './settings';
import { testAgentSettings } from './testing/test-agent-settings';
import { silentLogger } from './support/logger';
import { parseNpmRegistryKeys } from './verify/npm-registry-keys';

const NATS_URL = process.env.LOCKSTEP_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const COMPONENT = 'demo';
const PACKAGE = '@acme/demo';
const NPM_NODE = 'npm-node';
const BARE_NODE = 'bare-node';

/**
 * Every artifact is checked against an anchor pinned on the node (issue 11, acceptance 5): real
 * agent runtimes on a real nats-server with a real lock holder; an npm registry on loopback
 * signing with its own P-256 key. The npm node pins that key; the bare node pins nothing.
 */
describe('agent trust anchors (real NATS, npm registry on loopback)', () => {
  let registry: FakeNpmRegistry;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let namespace: string;
  let work: string;
  let events: ConsumerMessages;
  let lease: FleetLease;
  const runtimes: NodeAgentRuntime[] = [];
  const finished: InstallFinishedV1[] = [];
  const artifacts: Record<string, InstallCommandV1['artifact']> = {};

  const current = (node: string) => readlinkSync(join(work, node, 'current'));
  const command = (node: string, version: string): InstallCommandV1 => ({
    commandId: randomUUID(),
    rolloutId: lease.rolloutId,
    nodeId: node,
    component: COMPONENT,
    version,
    action: 'install',
    artifact: artifacts[version],
    fencingToken: lease.token,
    lockKey: 'cluster',
    health: { minHealthyMs: 100, deadlineMs: 10_000 },
    issuedAt: new Date().toISOString(),
  });
  const run = async (cmd: InstallCommandV1): Promise<InstallFinishedV1> => {
    await jetstream(nc).publish(`${namespace}.${NodeSubjects.install(cmd.nodeId)}`, JSON.stringify(cmd), {
      msgID: cmd.commandId,
    });
    return (await waitFor(() => finished.find((f) => f.commandId === cmd.commandId), {
      timeoutMs: 30_000,
      what: `outcome of ${cmd.commandId}`,
    }))!;
  };

  const settings = async (nodeId: string, anchor: Pick<AgentSettings, 'npm'>): Promise<AgentSettings> => {
    const appPort = await freePort();
    return testAgentSettings(
      { nodeId, dir: join(work, nodeId), component: COMPONENT, appPort },
      // the registry listens on loopback, which a node refuses unless allow-listed
      { allowedDestinations: 'loopback', ...anchor },
    );
  };

  beforeAll(async () => {
    registry = await FakeNpmRegistry.start(PACKAGE);
    artifacts['1.0.0'] = registry.publish('1.0.0', buildDemoArtifact('1.0.0'));
    artifacts['1.1.0'] = registry.publish('1.1.0', buildDemoArtifact('1.1.0'), 'other-key');
    artifacts['1.2.0'] = registry.publish('1.2.0', buildDemoArtifact('1.2.0'), 'unsigned');
    artifacts['1.3.0'] = registry.publish('1.3.0', buildDemoArtifact('1.3.0'));
    // served by the registry host but never published there
    artifacts['6.6.6'] = registry.host('/evil-6.6.6.tgz', buildDemoArtifact('6.6.6'));

    namespace = uniqueName('anchor');
    nc = await connect({ servers: NATS_URL });
    jsm = await jetstreamManager(nc);
    await ensureFleetTopology(nc, namespace, { nodeIds: [NPM_NODE, BARE_NODE] });
    events = await (await jetstream(nc).consumers.get(`${namespace.toUpperCase()}_EVENTS`)).consume();
    void (async () => {
      for await (const m of events)
        if (m.subject.includes(Subjects.InstallFinished)) finished.push(m.json<{ data: InstallFinishedV1 }>().data);
    })();
    const lock = await FleetLock.open(nc, namespace, { holder: 'test-scheduler', leaseMs: 15_000 });
    lease = (await lock.tryAcquire('rollout-anchors'))!;

    work = await mkdtemp(join(tmpdir(), 'lockstep-anchors-'));
    const npm = {
      registry: registry.url,
      packageName: PACKAGE,
      keys: parseNpmRegistryKeys(registry.keysDocument()),
    };
    for (const s of [await settings(NPM_NODE, { npm }), await settings(BARE_NODE, {})]) {
      const runtime = new NodeAgentRuntime(s, { nc, namespace }, { logger: silentLogger });
      runtimes.push(runtime);
      await runtime.start();
    }
  });

  afterAll(async () => {
    await lease?.release().catch(() => undefined);
    for (const r of runtimes) await r.stop();
    await events?.close();
    for (const s of ['EVENTS', 'COMMANDS', 'DEAD_LETTERS'])
      await jsm?.streams.delete(`${namespace.toUpperCase()}_${s}`).catch(() => undefined);
    for (const b of ['NODES', 'LOCKS'])
      await jsm?.streams.delete(`KV_${namespace.toUpperCase()}_${b}`).catch(() => undefined);
    await nc?.close();
    await registry?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('installs an npm artifact whose registry signature verifies under the pinned key', async () => {
    const outcome = await run(command(NPM_NODE, '1.0.0'));

    expect(outcome).toMatchObject({ result: 'succeeded', runningVersion: '1.0.0' });
    expect(current(NPM_NODE)).toBe('releases/1.0.0');
  });

  it.each([
    ['re-signed by another key', '1.1.0', AgentErrorCode.NpmSignatureInvalid],
    ['unsigned', '1.2.0', AgentErrorCode.NpmSignatureMissing],
  ])('refuses a tarball %s from the same registry, and runs nothing of it', async (_what, version, code) => {
    const outcome = await run(command(NPM_NODE, version));

    expect(outcome).toMatchObject({ result: 'failed', failedStep: 'verifying', runningVersion: '1.0.0' });
    expect(outcome.error).toMatch(new RegExp(`^${code}: `));
    expect(current(NPM_NODE)).toBe('releases/1.0.0');
    expect(existsSync(join(work, NPM_NODE, 'releases', version))).toBe(false);
  });

  it('refuses an artifact known only by the sha256 in its command (not published, so nothing signed it)', async () => {
    const outcome = await run(command(NPM_NODE, '6.6.6'));

    expect(outcome).toMatchObject({ result: 'failed', failedStep: 'verifying', runningVersion: '1.0.0' });
    expect(outcome.error).toMatch(new RegExp(`^${AgentErrorCode.NpmSignatureMissing}: .*publishes no integrity`));
    expect(current(NPM_NODE)).toBe('releases/1.0.0');
    expect(existsSync(join(work, NPM_NODE, 'releases', '6.6.6'))).toBe(false);
  });

  it('refuses every command on a node with no anchor pinned, before downloading anything', async () => {
    const before = registry.requests.length;

    const outcome = await run(command(BARE_NODE, '1.0.0'));

    expect(outcome).toMatchObject({ result: 'rejected', refusal: CommandRefusal.NoTrustAnchor, runningVersion: null });
    expect(registry.requests.length).toBe(before);
    expect(existsSync(join(work, BARE_NODE, 'current'))).toBe(false);
  });

  it('then installs the next signed release on the same node', async () => {
    const outcome = await run(command(NPM_NODE, '1.3.0'));

    expect(outcome).toMatchObject({ result: 'succeeded', runningVersion: '1.3.0' });
    expect(current(NPM_NODE)).toBe('releases/1.3.0');
  });
});
