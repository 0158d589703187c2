import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { spawnTs, startNatsServer, uniqueName, waitFor, type NatsServerInstance } from '@lockstep/testing';
import {
  FleetLock,
  LiveLockReader,
  lockBucketName,
  LeaseLostCodes,
  ReleaseOutcomes,
  type FleetLease,
  type LeaseLost,
} from '@lockstep/fleet-lock';

const LEASE = 1500; // renew every 500 ms, trusted for 1350 ms after the last confirmed send

/** Against a real nats-server 2.9 of its own (the NATS-down cases stall it). */
describe(`${FleetLock.name} on nats-server`, () => {
  let server: NatsServerInstance;
  let namespace: string;
  const connections: NatsConnection[] = [];
  const leases: FleetLease[] = [];

  const replica = async (holder: string) => {
    const nc = await connect({ servers: [server.url], maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    connections.push(nc);
    return { nc, lock: await FleetLock.open(nc, namespace, { holder, leaseMs: LEASE }) };
  };
  const held = (lease: FleetLease | undefined) => {
    if (lease) leases.push(lease);
    return lease!;
  };
  const acquireWhenFree = async (lock: FleetLock, rolloutId: string) =>
    held(await waitFor(() => lock.tryAcquire(rolloutId), { timeoutMs: 10 * LEASE, intervalMs: 25, what: 'the lock' }));

  beforeAll(async () => {
    server = await startNatsServer();
  });
  beforeEach(() => {
    namespace = uniqueName('lk');
  });
  afterEach(async () => {
    await server.kill('SIGCONT');
    await Promise.all(leases.splice(0).map((l) => l.release().catch(() => undefined)));
    await Promise.all(connections.splice(0).map((nc) => nc.close().catch(() => undefined)));
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('creates the bucket with the lease as TTL, history 1', async () => {
    const { nc } = await replica('replica-a');

    const info = await (await jetstreamManager(nc)).streams.info(`KV_${lockBucketName(namespace)}`);

    expect(info.config).toMatchObject({
      max_age: LEASE * 1_000_000,
      max_msgs_per_subject: 1,
      num_replicas: 1,
      allow_direct: false,
    });
  });

  it("tells an agent the live holder's token and rollout, through renewals, and nothing before any holder, after release, or for a foreign value", async () => {
    const nc = await connect({ servers: [server.url] });
    connections.push(nc);
    const sut = new LiveLockReader(nc, namespace);
    const beforeBucket = await sut.holder('cluster');
    const a = await replica('replica-a');
    const beforeHolder = await sut.holder('cluster');

    const lease = held(await a.lock.tryAcquire('rollout-1'));
    const whileHeld = await sut.holder('cluster');
    await new Promise((r) => setTimeout(r, 2 * LEASE)); // several renewals
    const afterRenewals = await sut.holder('cluster');
    await lease.release();
    const afterRelease = await sut.holder('cluster');
    const kv = await new Kvm(jetstream(nc)).open(lockBucketName(namespace));
    await kv.put('cluster', 'not a holder record');
    const foreign = await sut.holder('cluster');
    const revision = await kv.put(
      'cluster',
      JSON.stringify({ holder: 'x', rolloutId: 'r', since: '', renewedAt: '', leaseId: 'l', token: 1_000_000 }),
    );
    const inflated = await sut.holder('cluster');

    expect([beforeBucket, beforeHolder, afterRelease, foreign]).toEqual([undefined, undefined, undefined, undefined]);
    expect([whileHeld, afterRenewals]).toEqual([
      { token: lease.token, rolloutId: 'rollout-1' },
      { token: lease.token, rolloutId: 'rollout-1' },
    ]);
    expect(lease.revision).toBeGreaterThan(lease.token);
    expect(inflated).toEqual({ token: revision, rolloutId: 'r' });
  });

  it('acquires, renews past several TTLs with a stable token, shows the holder, and releases for the next holder', async () => {
    const a = await replica('replica-a');
    const b = await replica('replica-b');

    const lease = held(await a.lock.tryAcquire('rollout-1'));
    await new Promise((r) => setTimeout(r, 3 * LEASE));
    // Renewals keep running while we look: the view holds the revision current at some
    // point between these two reads (or the one whose ack the lease has not processed yet).
    const revisionBefore = lease.revision;
    const view = await b.lock.inspect('cluster');
    const revisionAfter = lease.revision;
    const busy = await b.lock.acquire('rollout-2');
    await lease.release();
    const outcome = lease.releaseOutcome;
    const next = held(await b.lock.tryAcquire('rollout-2'));

    expect(lease.revision).toBeGreaterThanOrEqual(lease.token + 3); // the entry outlived 3 TTLs
    expect(view).toMatchObject({ holder: 'replica-a', rolloutId: 'rollout-1', since: lease.since, token: lease.token });
    expect(view!.revision).toBeGreaterThanOrEqual(revisionBefore);
    expect(view!.revision).toBeLessThanOrEqual(revisionAfter + 1);
    expect(Date.parse(view!.expiresAt) - Date.parse(view!.renewedAt)).toBeGreaterThan(LEASE - 100);
    expect(busy).toEqual({
      acquired: false,
      heldBy: expect.objectContaining({
        holder: 'replica-a',
        rolloutId: 'rollout-1',
        since: lease.since,
        token: lease.token,
      }),
    });
    expect(outcome).toBe(ReleaseOutcomes.Released);
    expect(lease.isHeld()).toBe(false);
    expect(next.token).toBeGreaterThan(lease.revision);
  });

  it('lets another replica acquire after the TTL once the holder stops renewing, with a higher token', async () => {
    const a = await replica('replica-a');
    const b = await replica('replica-b');
    const lost: LeaseLost[] = [];
    const old = held(await a.lock.tryAcquire('rollout-1', { onLost: (l) => lost.push(l) }));
    await new Promise((r) => setTimeout(r, 600));
    const lastWrite = (await b.lock.inspect('cluster'))!;

    await a.nc.close(); // the holder's process is gone as far as NATS can tell
    const next = await acquireWhenFree(b.lock, 'rollout-2');
    const acquiredAt = Date.now();

    expect(acquiredAt - Date.parse(lastWrite.expiresAt)).toBeGreaterThanOrEqual(-5);
    expect(next.token).toBeGreaterThan(old.revision);
    expect(lost).toEqual([expect.objectContaining({ code: LeaseLostCodes.Expired })]);
    expect(old.isHeld()).toBe(false);
  });

  it('calls onLost at the first refused renewal and names the new holder', async () => {
    const a = await replica('replica-a');
    const b = await replica('replica-b');
    let lostAt = 0;
    let lost: LeaseLost | undefined;
    const old = held(
      await a.lock.tryAcquire('rollout-1', {
        onLost: (l) => {
          lost = l;
          lostAt = Date.now();
        },
      }),
    );

    const forced = await b.lock.forceRelease('cluster', {
      expectedToken: old.token,
      by: 'alice',
      reason: 'conductor hung',
    });
    const next = held(await b.lock.tryAcquire('rollout-2'));
    const takenAt = Date.now();
    await waitFor(() => lost, { what: 'onLost' });

    expect(forced).toEqual({
      key: 'cluster',
      removed: expect.objectContaining({ holder: 'replica-a', rolloutId: 'rollout-1', token: old.token }),
      by: 'alice',
      reason: 'conductor hung',
      at: expect.any(String),
    });
    expect(lost).toMatchObject({
      code: LeaseLostCodes.TakenOver,
      current: { holder: 'replica-b', rolloutId: 'rollout-2', token: next.token },
    });
    expect(lostAt - takenAt).toBeLessThan(700);
    expect(old.isHeld()).toBe(false);
    expect(next.token).toBeGreaterThan(old.revision);
  });

  it('gives the lease up when NATS stalls longer than the lease, and a renewal stuck in the stalled server does not make it holder again', async () => {
    const a = await replica('replica-a');
    const b = await replica('replica-b');
    const lost: Array<LeaseLost & { atMs: number }> = [];
    const old = held(await a.lock.tryAcquire('rollout-1', { onLost: (l) => lost.push({ ...l, atMs: Date.now() }) }));
    await new Promise((r) => setTimeout(r, 600));
    const trustedUntil = old.validUntil.getTime();

    await server.kill('SIGSTOP');
    await waitFor(() => lost.length > 0, { timeoutMs: 3 * LEASE, what: 'onLost while NATS is stalled' });
    await new Promise((r) => setTimeout(r, LEASE));
    await server.kill('SIGCONT');
    const next = await acquireWhenFree(b.lock, 'rollout-2');
    await new Promise((r) => setTimeout(r, LEASE));

    expect(lost).toEqual([expect.objectContaining({ code: LeaseLostCodes.Expired })]);
    expect(lost[0].atMs - trustedUntil).toBeGreaterThanOrEqual(-5);
    expect(lost[0].atMs - trustedUntil).toBeLessThan(250);
    expect(old.isHeld()).toBe(false);
    expect(next.isHeld()).toBe(true);
    expect(next.token).toBeGreaterThan(old.revision);
  });

  it('a holder process SIGSTOPped past its lease finds the loss on SIGCONT before anything else and never claims the lock again', async () => {
    const b = await replica('replica-b');
    const child = spawnTs('libs/fleet-lock/src/__fixtures__/lease-holder.ts', {
      NATS_URL: server.url,
      LOCK_NAMESPACE: namespace,
      LOCK_LEASE_MS: String(LEASE),
      LOCK_HOLDER: 'paused-replica',
    });
    try {
      const acquired = await child.waitForLine((l) => l.event === 'acquired', 20000);
      await child.waitForLine((l) => l.event === 'status' && (l.t as number) > (acquired.t as number) + 600);

      await child.kill('SIGSTOP');
      const stoppedAt = Date.now();
      const next = await acquireWhenFree(b.lock, 'rollout-2');
      await new Promise((r) => setTimeout(r, stoppedAt + LEASE + 300 - Date.now()));
      await child.kill('SIGCONT');
      const resumedAt = Date.now();
      const lost = await child.waitForLine((l) => l.event === 'lost');
      await new Promise((r) => setTimeout(r, LEASE));
      const after = child.lines.filter((l) => l.event === 'status' && (l.t as number) >= resumedAt - 20);

      expect(next.token).toBeGreaterThan(acquired.token as number);
      expect(resumedAt - stoppedAt).toBeGreaterThan(LEASE);
      expect(lost).toMatchObject({ code: LeaseLostCodes.Expired });
      expect(after.length).toBeGreaterThan(5);
      expect(after.every((l) => l.held === false)).toBe(true);
      expect(next.isHeld()).toBe(true);
      expect(await b.lock.inspect('cluster')).toMatchObject({ holder: 'replica-b', token: next.token });
    } finally {
      await child.kill('SIGCONT');
      await child.kill('SIGKILL');
    }
  });
});
