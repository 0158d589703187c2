import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import {
  startNatsCluster,
  uniqueName,
  waitFor,
  type NatsClusterHandle,
  type NatsServerHandle,
} from '@lockstep/testing';
import { FleetLock, lockBucketName, type FleetLease, type LeaseLost } from '@lockstep/fleet-lock';

/** The lock on three routed nats-server processes with a replicas-3 bucket. */
describe(`${FleetLock.name} on a 3-node NATS cluster`, () => {
  let cluster: NatsClusterHandle;
  let admin: NatsConnection;
  let jsm: JetStreamManager;
  const connections: NatsConnection[] = [];
  const leases: FleetLease[] = [];
  // Two namespaces whose buckets are created while all three servers are up.
  const ns = { failover: uniqueName('lkc'), leader: uniqueName('lkc') };
  // Electing a new stream leader took 4.4-7.1 s on nats-server 2.9.10 (election timeouts
  // 4-9 s): a lease survives it only with room to spare, hence the production default.
  const LEASES = { failover: 2000, leader: 15_000 };

  const streamOf = (namespace: string) => `KV_${lockBucketName(namespace)}`;
  const leaderOf = async (namespace: string): Promise<NatsServerHandle> => {
    const info = await jsm.streams.info(streamOf(namespace));
    return cluster.servers.find((s) => s.name === info.cluster?.leader)!;
  };
  /** A replica whose client knows all three servers, trying them in the given order first. */
  const replica = async (namespace: string, holder: string, first?: NatsServerHandle) => {
    const servers = first ? [first.url, ...cluster.urls.filter((u) => u !== first.url)] : cluster.urls;
    const nc = await connect({ servers, noRandomize: !!first, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    connections.push(nc);
    return {
      nc,
      lock: await FleetLock.open(nc, namespace, {
        holder,
        leaseMs: LEASES[namespace === ns.failover ? 'failover' : 'leader'],
        replicas: 3,
      }),
    };
  };
  /** Samples who holds the lock every 50 ms until stopped. */
  const watch = (holders: Array<() => FleetLease | undefined>) => {
    const samples: boolean[][] = [];
    const timer = setInterval(() => samples.push(holders.map((h) => !!h()?.isHeld())), 50);
    return { samples, stop: () => clearInterval(timer) };
  };

  beforeAll(async () => {
    cluster = await startNatsCluster({ size: 3 });
    admin = await connect({ servers: cluster.urls, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    jsm = await jetstreamManager(admin);
    for (const namespace of Object.values(ns)) await (await replica(namespace, 'setup')).lock.inspect();
  }, 40_000);
  afterEach(async () => {
    await Promise.all(leases.splice(0).map((l) => l.release().catch(() => undefined)));
  });
  afterAll(async () => {
    await Promise.all(connections.map((nc) => nc.close().catch(() => undefined)));
    await admin?.close();
    await cluster?.stop();
  });

  it('keeps renewing when the server its client is connected to is killed', async () => {
    expect((await jsm.streams.info(streamOf(ns.failover))).config.num_replicas).toBe(3);
    const leader = await leaderOf(ns.failover);
    const victim = cluster.servers.find((s) => s !== leader)!;
    const a = await replica(ns.failover, 'replica-a', victim);
    const onLost = jest.fn<void, [LeaseLost]>();
    const lease = (await a.lock.tryAcquire('rollout-1', { onLost }))!;
    leases.push(lease);
    const sampler = watch([() => lease]);
    await new Promise((r) => setTimeout(r, 500));
    const before = lease.revision;
    const connectedTo = a.nc.getServer();

    await victim.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 3 * LEASES.failover));
    sampler.stop();

    expect(connectedTo).toBe(victim.url.replace('nats://', ''));
    expect(a.nc.getServer()).not.toBe(connectedTo);
    expect(onLost).not.toHaveBeenCalled();
    expect(sampler.samples.every(([held]) => held)).toBe(true);
    expect(lease.revision).toBeGreaterThan(before + 3);

    await victim.restart();
    await waitFor(
      async () => {
        const info = await jsm.streams.info(streamOf(ns.leader));
        return info.cluster?.replicas?.length === 2 && info.cluster.replicas.every((r) => r.current && !r.offline);
      },
      { timeoutMs: 20_000, intervalMs: 200, what: `${victim.name} to rejoin` },
    );
    // The next test's clients may connect to the restarted server first: it must answer JetStream
    // API requests itself by then (its stream replicas can be current before its meta layer is).
    await waitFor(
      async () => {
        const nc = await connect({ servers: [victim.url], reconnect: false, timeout: 1000 }).catch(() => undefined);
        if (!nc) return false;
        try {
          await jetstreamManager(nc, { timeout: 1000 });
          return true;
        } catch {
          return false;
        } finally {
          await nc.close().catch(() => undefined);
        }
      },
      { timeoutMs: 30_000, intervalMs: 200, what: `${victim.name} to answer JetStream requests` },
    );
  }, 70_000);

  it('survives the loss of the stream leader: the holder keeps renewing, or another replica takes over after the lease with a higher token', async () => {
    const leader = await leaderOf(ns.leader);
    const a = await replica(ns.leader, 'replica-a');
    const b = await replica(ns.leader, 'replica-b');
    const lost: LeaseLost[] = [];
    const first = (await a.lock.tryAcquire('rollout-1', { onLost: (l) => lost.push(l) }))!;
    leases.push(first);
    let second: FleetLease | undefined;
    const sampler = watch([() => first, () => second]);
    await first.renewNow();
    const before = first.revision;
    const killedAt = Date.now();

    await leader.kill('SIGKILL');
    // Liveness: within the lease after the election, someone holds the lock and renews it.
    await waitFor(
      async () => {
        if (first.isHeld()) return first.revision > before;
        second ??= await b.lock.tryAcquire('rollout-1').catch(() => undefined);
        if (second) leases.push(second);
        return !!second;
      },
      { timeoutMs: 3 * LEASES.leader, intervalMs: 100, what: 'a renewing holder after the leader died' },
    );
    sampler.stop();
    const newLeader = await leaderOf(ns.leader);

    expect(newLeader.name).not.toBe(leader.name);
    expect(sampler.samples.some(([x, y]) => x && y)).toBe(false);
    if (second) {
      expect(lost.length).toBe(1);
      expect(second.token).toBeGreaterThan(first.revision);
    } else {
      expect(lost).toEqual([]);
    }
    process.stdout.write(
      `leader ${leader.name} killed; ${second ? `replica-b took over with token ${second.token} at ${Date.now() - killedAt}ms; ${JSON.stringify(lost)}` : `replica-a kept the lease (renewed ${Date.now() - killedAt}ms after the kill)`}\n`,
    );
  }, 60_000);
});
