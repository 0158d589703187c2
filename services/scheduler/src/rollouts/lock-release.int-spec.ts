import { systemActor, type AuditActor } from '@lockstep/contracts';
import { FleetLock, lockBucketName, type FleetLease } from '@lockstep/fleet-lock';
import { NatsClient } from '@lockstep/messaging';
import { AuditLogEntity, createDataSource, runMigrations, verifyAuditChain } from '@lockstep/persistence';
import { createTestDatabase, uniqueName, type TestDatabase } from '@lockstep/testing';
import type { DataSource } from 'typeorm';
import { AuditRepository } from '../audit/audit.repository';
import { FleetLockAdapter } from '../fleet/fleet-lock.adapter';
import type { SchedulerConfig } from '../scheduler.config';
import type { RolloutRepository } from './rollout.repository';
import { RolloutsService } from './rollouts.service';

const servers = [process.env.LOCKSTEP_TEST_NATS_URL ?? 'nats://127.0.0.1:4222'];
const LEASE_MS = 3000;

const owner: AuditActor = {
  kind: 'token',
  id: 'tok_owner',
  name: 'ops-owner',
  role: 'owner',
  components: null,
  source: '10.1.2.3',
};

describe('lock release by holder token (nats-server, Postgres)', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let nats: NatsClient;
  let namespace: string;
  let sut: RolloutsService;
  const leases: FleetLease[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = createDataSource(db.url);
    await ds.initialize();
    await runMigrations(ds);
  });
  afterAll(async () => {
    await ds.destroy();
    await db.drop();
  });
  beforeEach(async () => {
    namespace = uniqueName('schlk');
    nats = new NatsClient({ service: 'scheduler-int', connection: { NATS_URL: servers }, namespace, handles: [] });
    await nats.connect();
    const config = {
      NATS_NAMESPACE: namespace,
      SCHEDULER_REPLICA_ID: 'sched-admin',
      SCHEDULER_LOCK_LEASE: LEASE_MS,
      NATS_REPLICAS: 1,
    } as SchedulerConfig;
    sut = new RolloutsService(
      {} as RolloutRepository,
      {} as never,
      {} as never,
      {} as never,
      new FleetLockAdapter(nats, config),
      new AuditRepository(ds),
      {} as never,
    );
  });
  afterEach(async () => {
    await Promise.all(leases.splice(0).map((l) => l.release().catch(() => undefined)));
    await nats.jsm.streams.delete(`KV_${lockBucketName(namespace)}`).catch(() => undefined);
    await nats.onApplicationShutdown();
  });

  /** A replica holding the cluster lock, renewing it. */
  const hold = async (holder: string): Promise<FleetLease> => {
    const lock = await FleetLock.open(nats.nc, namespace, { holder, leaseMs: LEASE_MS });
    const lease = (await lock.tryAcquire(`rollout-of-${holder}`))!;
    leases.push(lease);
    return lease;
  };
  const records = () => ds.getRepository(AuditLogEntity).find({ where: { target: 'cluster' }, order: { id: 'DESC' } });

  it('refuses a stale holder token, and the live holder keeps the lock and keeps renewing', async () => {
    const stale = await hold('sched-old');
    const staleToken = stale.token;
    await stale.release();
    const live = await hold('sched-live');
    const before = await records();

    const reply = await sut.releaseLock({
      key: 'cluster',
      token: staleToken,
      reason: 'old holder wedged',
      confirm: true,
      actor: owner,
    });
    const revision = live.revision;
    await live.renewNow();

    expect(reply).toEqual({
      ok: false,
      error: {
        code: 'LOCK_HOLDER_CHANGED',
        message: expect.stringContaining(`held by sched-live under token ${live.token}, not ${staleToken}`),
      },
    });
    expect(live.isHeld()).toBe(true);
    expect(live.revision).toBeGreaterThan(revision);
    const after = await records();
    expect(after).toHaveLength(before.length + 1);
    expect(after[0]).toMatchObject({ action: 'lock.release', outcome: 'refused', actorId: 'tok_owner', role: 'owner' });
  });

  it('removes the holder it names, and records the release under the token that asked, in the chain', async () => {
    const live = await hold('sched-wedged');
    const lost = new Promise((resolve) => live.onLost(resolve));

    const reply = await sut.releaseLock({
      key: 'cluster',
      token: live.token,
      reason: 'wedged',
      confirm: true,
      actor: owner,
    });
    await live.renewNow().catch(() => undefined);

    expect(reply).toMatchObject({
      ok: true,
      result: { released: true, removed: { holder: 'sched-wedged', token: live.token } },
    });
    await expect(lost).resolves.toMatchObject({ code: expect.any(String) });
    expect((await records())[0]).toMatchObject({
      action: 'lock.release',
      outcome: 'ok',
      actorId: 'tok_owner',
      actorName: 'ops-owner',
      source: '10.1.2.3',
      params: { token: live.token, reason: 'wedged', removed: { holder: 'sched-wedged', token: live.token } },
    });
    expect(await verifyAuditChain(ds)).toMatchObject({ ok: true });
  });

  it('records nothing as released when the lock is free', async () => {
    const reply = await sut.releaseLock({
      key: 'cluster',
      token: 9,
      reason: 'x',
      confirm: true,
      actor: systemActor('test'),
    });

    expect(reply).toMatchObject({ ok: false, error: { code: 'LOCK_HOLDER_CHANGED' } });
    expect((await records())[0]).toMatchObject({ outcome: 'refused' });
  });
});
