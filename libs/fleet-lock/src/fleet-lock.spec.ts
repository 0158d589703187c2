import { FleetLock, type FleetLockOptions } from './fleet-lock';
import { LeaseLostCodes, ReleaseOutcomes, type LeaseLost } from './fleet-lease';
import type { LockClock } from './lock-clock';
import { LeaseLostError, LockChangedError } from './lock-errors';
import type { LockStore } from './lock-store';
import { MemoryLockStore } from './memory-lock-store';

const LEASE = 1500; // renew every 500, trusted 1350 after the last confirmed send

/** Process clocks (faked by jest) plus a skew, to play a SIGSTOP or an NTP step. */
class SkewClock implements LockClock {
  wallSkew = 0;
  monoSkew = 0;
  now() {
    return { wall: Date.now() + this.wallSkew, mono: performance.now() + this.monoSkew };
  }
  /** The process did not run for `ms`: both clocks moved, no timer fired. */
  pause(ms: number) {
    this.wallSkew += ms;
    this.monoSkew += ms;
  }
}

/** One replica's view of the shared store; `cut` plays a crash or partition of that replica. */
class ReplicaStore implements LockStore {
  cut = false;
  constructor(private readonly inner: LockStore) {}
  private gate<T>(fn: () => Promise<T>, failed: T): Promise<T> {
    return this.cut ? Promise.resolve(failed) : fn();
  }
  create(k: string, v: string) {
    return this.gate(() => this.inner.create(k, v), { status: 'unknown', error: new Error('cut') } as const);
  }
  update(k: string, v: string, r: number) {
    return this.gate(() => this.inner.update(k, v, r), { status: 'unknown', error: new Error('cut') } as const);
  }
  remove(k: string, r: number) {
    return this.gate(() => this.inner.remove(k, r), { status: 'unknown', error: new Error('cut') } as const);
  }
  get(k: string) {
    return this.cut ? Promise.reject(new Error('cut')) : this.inner.get(k);
  }
  keys() {
    return this.inner.keys();
  }
}

describe(FleetLock.name, () => {
  let clock: SkewClock;
  let shared: MemoryLockStore;
  const lockFor = (holder: string, store: LockStore = shared, extra: Partial<FleetLockOptions> = {}) =>
    new FleetLock(store, { holder, leaseMs: LEASE, clock, ...extra });
  const advance = (ms: number) => jest.advanceTimersByTimeAsync(ms);

  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
    clock = new SkewClock();
    shared = new MemoryLockStore({ ttlMs: LEASE, clock });
  });
  afterEach(() => {
    shared.resumeHung();
    jest.useRealTimers();
  });

  it('acquires, renews past several leases with a stable token, and releases', async () => {
    const sut = lockFor('replica-a');

    const lease = (await sut.tryAcquire('rollout-1'))!;
    await advance(4 * LEASE);
    const view = await sut.inspect('cluster');
    await lease.release();
    const outcome = lease.releaseOutcome;
    const after = await sut.inspect('cluster');

    expect(lease.token).toBe(1);
    expect(lease.revision).toBeGreaterThan(8);
    expect(view).toMatchObject({
      key: 'cluster',
      holder: 'replica-a',
      rolloutId: 'rollout-1',
      token: 1,
      revision: lease.revision,
      leaseId: lease.leaseId,
    });
    expect(outcome).toBe(ReleaseOutcomes.Released);
    expect(lease.isHeld()).toBe(false);
    expect(after).toBeNull();
  });

  it('tells who holds the lock, since when and for which rollout', async () => {
    const holder = (await lockFor('replica-a').tryAcquire('rollout-1'))!;
    const sut = lockFor('replica-b');

    const result = await sut.acquire('rollout-2');

    expect(result).toEqual({
      acquired: false,
      heldBy: expect.objectContaining({
        holder: 'replica-a',
        rolloutId: 'rollout-1',
        since: holder.since,
        token: holder.token,
      }),
    });
    expect(await sut.tryAcquire('rollout-2')).toBeUndefined();
  });

  it('lets another replica acquire once the TTL has passed after the holder stopped renewing, with a higher token', async () => {
    const aStore = new ReplicaStore(shared);
    const lost: LeaseLost[] = [];
    const a = (await lockFor('replica-a', aStore).tryAcquire('rollout-1', { onLost: (l) => lost.push(l) }))!;
    await advance(700); // one renewal stored at 500
    const lastWrite = (await shared.get('cluster'))!.created.getTime();
    aStore.cut = true;
    const b = lockFor('replica-b');
    const samples: Array<{ t: number; a: boolean; b: boolean }> = [];
    let bLease: Awaited<ReturnType<FleetLock['tryAcquire']>>;

    while (!bLease) {
      bLease = await b.tryAcquire('rollout-1');
      samples.push({ t: clock.now().wall, a: a.isHeld(), b: !!bLease });
      await advance(25);
    }

    expect(samples.some((s) => s.a && s.b)).toBe(false);
    expect(lost).toEqual([expect.objectContaining({ code: LeaseLostCodes.Expired })]);
    expect(samples[samples.length - 1].t - lastWrite).toBeGreaterThanOrEqual(LEASE);
    expect(bLease.token).toBeGreaterThan(a.revision);
    await bLease.release();
  });

  it.each([
    [
      'force-released by an operator',
      LeaseLostCodes.Removed,
      async (): Promise<void> => {
        await lockFor('ops').forceRelease('cluster', { by: 'alice', reason: 'stuck' });
      },
    ],
    [
      'taken over by another replica',
      LeaseLostCodes.TakenOver,
      async (): Promise<void> => {
        await lockFor('ops').forceRelease('cluster', { by: 'alice', reason: 'stuck' });
        await lockFor('replica-b').tryAcquire('rollout-2');
      },
    ],
  ])('calls onLost at the first refused renewal when %s', async (_, code, act) => {
    const onLost = jest.fn();
    const lease = (await lockFor('replica-a').tryAcquire('rollout-1', { onLost }))!;

    await act();
    await advance(500);

    expect(onLost).toHaveBeenCalledTimes(1);
    expect(onLost).toHaveBeenCalledWith(expect.objectContaining({ code }));
    expect(lease.isHeld()).toBe(false);
    expect(() => lease.fence()).toThrow(LeaseLostError);
    if (code === LeaseLostCodes.TakenOver)
      expect(onLost.mock.calls[0][0].current).toMatchObject({ holder: 'replica-b', rolloutId: 'rollout-2' });
  });

  it('never takes a renewal that hangs for success: the watchdog ends the lease when the trusted time runs out', async () => {
    const onLost = jest.fn();
    const lease = (await lockFor('replica-a').tryAcquire('rollout-1', { onLost }))!;
    shared.failNext('update', 'hang');

    await advance(1340);
    const heldJustBefore = lease.isHeld();
    await advance(20);

    expect(heldJustBefore).toBe(true);
    expect(onLost).toHaveBeenCalledWith(expect.objectContaining({ code: LeaseLostCodes.Expired }));
    expect(lease.isHeld()).toBe(false);
  });

  it('keeps counting from the last confirmed send while renewals time out, and retries', async () => {
    const lease = (await lockFor('replica-a').tryAcquire('rollout-1'))!;
    for (let i = 0; i < 6; i++) shared.failNext('update', 'lost');

    await advance(500 + 5 * 125 + 10); // six timed-out attempts
    const heldWhileRetrying = lease.isHeld();
    await advance(200); // the seventh succeeds

    expect(heldWhileRetrying).toBe(true);
    expect(lease.isHeld()).toBe(true);
    expect(lease.validUntil.getTime()).toBeGreaterThan(clock.now().wall + 1000);
    await lease.release();
  });

  it('adopts a renewal that was stored although its answer was lost, trusting it from the first unconfirmed send', async () => {
    const onLost = jest.fn();
    const lease = (await lockFor('replica-a').tryAcquire('rollout-1', { onLost }))!;
    shared.failNext('update', 'stored-but-lost');
    const firstSend = clock.now().wall + 500;

    await advance(500 + 125 + 10);

    expect(onLost).not.toHaveBeenCalled();
    expect(lease.revision).toBe(shared.lastSequence);
    expect(lease.validUntil.getTime()).toBeGreaterThanOrEqual(firstSend + 1350);
    await lease.release();
  });

  it('detects a pause longer than the lease before anything else runs, and never holds again', async () => {
    const onLost = jest.fn();
    const lease = (await lockFor('replica-a').tryAcquire('rollout-1', { onLost }))!;
    await advance(400);
    const seqBefore = shared.lastSequence;

    clock.pause(LEASE + 500);
    const held = lease.isHeld();
    await advance(2 * LEASE);

    expect(held).toBe(false);
    expect(onLost).toHaveBeenCalledWith(
      expect.objectContaining({ code: LeaseLostCodes.Expired, message: expect.stringMatching(/paused/) }),
    );
    expect(lease.isHeld()).toBe(false);
    expect(shared.lastSequence).toBe(seqBefore);
    expect(await lockFor('replica-b').tryAcquire('rollout-1')).toBeDefined();
  });

  it.each([
    ['only the wall clock (system suspend)', { wallSkew: LEASE, monoSkew: 0 }],
    ['only the monotonic clock (wall clock stepped back)', { wallSkew: -LEASE, monoSkew: LEASE }],
  ])('ends the lease when %s says it ran out', async (_, skew) => {
    const lease = (await lockFor('replica-a').tryAcquire('rollout-1'))!;

    Object.assign(clock, skew);

    expect(lease.isHeld()).toBe(false);
  });

  it('is not extended by a wall clock stepping backwards', async () => {
    const aStore = new ReplicaStore(shared);
    const lease = (await lockFor('replica-a', aStore).tryAcquire('rollout-1'))!;
    aStore.cut = true;

    clock.wallSkew -= 3_600_000;
    await advance(1360);

    expect(lease.isHeld()).toBe(false);
    expect(lease.lost?.code).toBe(LeaseLostCodes.Expired);
  });

  it('deletes its own entry again when a renewal is stored after the lease was given up', async () => {
    const lease = (await lockFor('replica-a').tryAcquire('rollout-1'))!;
    shared.failNext('update', 'hang');
    await advance(1400);
    expect(lease.isHeld()).toBe(false);

    // The hung renewal was never stored; play one that is: write as the lease would.
    const entry = (await shared.get('cluster'))!;
    await shared.update('cluster', entry.value, entry.revision);
    shared.resumeHung();
    await advance(200);

    expect(await lockFor('ops').inspect('cluster')).toBeNull();
  });

  it('release after the loss does nothing', async () => {
    const lease = (await lockFor('replica-a').tryAcquire('rollout-1'))!;
    await lockFor('ops').forceRelease('cluster', { by: 'alice', reason: 'test' });
    await advance(500);
    const b = (await lockFor('replica-b').tryAcquire('rollout-2'))!;

    await lease.release();
    const outcome = lease.releaseOutcome;

    expect(outcome).toBe(ReleaseOutcomes.NotHeld);
    expect(b.isHeld()).toBe(true);
    await b.release();
  });

  it('force-release returns what it removed and refuses when the lease is not the one expected', async () => {
    const lease = (await lockFor('replica-a').tryAcquire('rollout-1'))!;
    const sut = lockFor('api');
    await advance(600);

    const stale = sut.forceRelease('cluster', { expectedToken: lease.token + 1, by: 'alice', reason: 'stuck' });
    await expect(stale).rejects.toThrow(LockChangedError);
    const removed = await sut.forceRelease('cluster', { expectedToken: lease.token, by: 'alice', reason: 'stuck' });
    const again = await sut.forceRelease('cluster', { by: 'alice', reason: 'stuck' });

    expect(removed).toEqual({
      key: 'cluster',
      removed: expect.objectContaining({ holder: 'replica-a', rolloutId: 'rollout-1', token: lease.token }),
      by: 'alice',
      reason: 'stuck',
      at: expect.any(String),
    });
    expect(again).toBeNull();
  });

  it('lists held locks', async () => {
    const a = (await lockFor('replica-a').tryAcquire('r1', { key: 'cluster-eu' }))!;
    const b = (await lockFor('replica-b').tryAcquire('r2', { key: 'cluster-us' }))!;

    const views = await lockFor('api').list();

    expect(views.map((v) => [v.key, v.holder]).sort()).toEqual([
      ['cluster-eu', 'replica-a'],
      ['cluster-us', 'replica-b'],
    ]);
    await a.release();
    await b.release();
  });
});
