import { FleetLock, lockBucketName, type FleetLease } from '@lockstep/fleet-lock';
import { NatsClient } from '@lockstep/messaging';
import { uniqueName } from '@lockstep/testing';
import { jetstreamManager } from '@nats-io/jetstream';
import { LocksRepository } from './locks.repository';

const servers = [process.env.LOCKSTEP_TEST_NATS_URL ?? 'nats://127.0.0.1:4222'];

describe(`${LocksRepository.name} on nats-server`, () => {
  let nats: NatsClient;
  let sut: LocksRepository;
  let namespace: string;
  const leases: FleetLease[] = [];

  beforeEach(async () => {
    namespace = uniqueName('apilk');
    nats = new NatsClient({ service: 'api-int', connection: { NATS_URL: servers }, namespace, handles: [] });
    await nats.connect();
    sut = new LocksRepository(nats);
  });
  afterEach(async () => {
    await Promise.all(leases.splice(0).map((l) => l.release().catch(() => undefined)));
    await nats.jsm.streams.delete(`KV_${lockBucketName(namespace)}`).catch(() => undefined);
    await nats.onApplicationShutdown();
  });

  it('answers no locks, and creates nothing, while no scheduler ever opened the bucket', async () => {
    const locks = await sut.list();

    const streams = await (await jetstreamManager(nats.nc)).streams.names().next();
    expect(locks).toEqual([]);
    expect(streams).not.toContain(`KV_${lockBucketName(namespace)}`);
  });

  it("shows the holder's lease with its fencing token and expiry, then nothing once released", async () => {
    const lock = await FleetLock.open(nats.nc, namespace, { holder: 'sched-1', leaseMs: 3000 });
    const lease = (await lock.tryAcquire('rollout-1'))!;
    leases.push(lease);

    const held = await sut.list();
    await lease.release();
    const free = await sut.list();

    expect(held).toEqual([
      {
        key: 'cluster',
        holder: 'sched-1',
        rolloutId: 'rollout-1',
        since: expect.any(String),
        renewedAt: expect.any(String),
        token: lease.token,
        expiresAt: expect.any(String),
      },
    ]);
    expect(Date.parse(held[0].expiresAt!) - Date.parse(held[0].renewedAt)).toBeGreaterThan(2000);
    expect(free).toEqual([]);
  });
});
