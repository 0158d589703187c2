import { FleetLock, MemoryLockStore, type FleetLease } from '@lockstep/fleet-lock';
import { BackupRepositoryLock, RepositoryBusyError } from './repository-lock';

describe('BackupRepositoryLock', () => {
  const leases: FleetLease[] = [];
  let store: MemoryLockStore;
  const replica = (holder: string, waitMs = 0) => {
    const sleeps: number[] = [];
    const lock = new BackupRepositoryLock(new FleetLock(store, { holder, leaseMs: 60_000 }), {
      waitMs,
      sleep: async (ms) => {
        sleeps.push(ms);
        await new Promise((r) => setImmediate(r));
      },
    });
    return { lock, sleeps };
  };
  const keep = (l: FleetLease) => (leases.push(l), l);

  beforeEach(() => {
    store = new MemoryLockStore();
  });
  afterEach(async () => {
    await Promise.all(leases.splice(0).map((l) => l.release().catch(() => undefined)));
  });

  it('lets several backups hold the repository at once, each under its own key', async () => {
    const a = keep(await replica('node-1').lock.shared('op-1', 'backup b1'));
    const b = keep(await replica('node-2').lock.shared('op-2', 'backup b2'));

    expect(a.isHeld() && b.isHeld()).toBe(true);
    expect((await store.keys()).sort()).toEqual(['backup-repo.shared.op-1', 'backup-repo.shared.op-2']);
  });

  it('refuses a prune while a backup runs, naming it, and leaves nothing behind', async () => {
    keep(await replica('node-1').lock.shared('op-1', 'backup b1'));

    const err = await replica('backup@x')
      .lock.exclusive('prune p1')
      .catch((e: unknown) => e);

    expect(err).toBeInstanceOf(RepositoryBusyError);
    expect((err as Error).message).toMatch(
      /prune never runs while backups or restores do; running now: backup b1 \(held by node-1/,
    );
    expect(await store.keys()).toEqual(['backup-repo.shared.op-1']);
  });

  it('makes a backup wait while a prune runs, and start once it has finished', async () => {
    const prune = keep(await replica('backup@x').lock.exclusive('prune p1'));
    const sleeps: number[] = [];
    const lock = new BackupRepositoryLock(new FleetLock(store, { holder: 'node-1', leaseMs: 60_000 }), {
      waitMs: 60_000,
      sleep: async (ms) => {
        sleeps.push(ms);
        if (sleeps.length === 2) await prune.release(); // the prune ends while the backup waits
      },
    });

    const lease = keep(await lock.shared('op-1', 'backup b1'));

    expect(lease.isHeld()).toBe(true);
    expect(sleeps).toHaveLength(2);
  });

  it('fails a backup clearly when a prune outlasts the wait', async () => {
    keep(await replica('backup@x').lock.exclusive('prune p1'));

    const err = await replica('node-1', 0)
      .lock.shared('op-1', 'backup b1')
      .catch((e: unknown) => e);

    expect(err).toBeInstanceOf(RepositoryBusyError);
    expect((err as Error).message).toMatch(
      /being pruned by prune p1 .*backup b1 did not start\. Try again when the prune has finished/,
    );
    expect(await store.keys()).toEqual(['backup-repo.exclusive']);
  });

  // a worker killed mid-operation leaves its lease until it expires; the redelivered operation
  // (same id) must wait that out and run, not fail as if another worker still ran it
  it('makes an operation delivered again wait for the lease its killed worker left, then run', async () => {
    const dead = keep(await replica('backup@dead').lock.shared('op-1', 'restore b1'));
    const sleeps: number[] = [];
    const lock = new BackupRepositoryLock(new FleetLock(store, { holder: 'backup@new', leaseMs: 60_000 }), {
      waitMs: 60_000,
      sleep: async (ms) => {
        sleeps.push(ms);
        if (sleeps.length === 2) await dead.release(); // the dead worker's lease expires
      },
    });

    const lease = keep(await lock.shared('op-1', 'restore b1'));

    expect(lease.isHeld()).toBe(true);
    expect(sleeps).toHaveLength(2);
  });

  it('fails an operation whose own lease stays held past the wait, saying it runs elsewhere', async () => {
    keep(await replica('backup@other').lock.shared('op-1', 'restore b1'));

    const err = await replica('backup@new', 0)
      .lock.shared('op-1', 'restore b1')
      .catch((e: unknown) => e);

    expect(err).toBeInstanceOf(RepositoryBusyError);
    expect((err as Error).message).toMatch(
      /operation op-1 already holds the backup repository; it is running elsewhere/,
    );
  });

  it('makes a prune delivered again wait for the exclusive lease its killed worker left, then run', async () => {
    const dead = keep(await replica('backup@dead').lock.exclusive('prune p1'));
    const sleeps: number[] = [];
    const lock = new BackupRepositoryLock(new FleetLock(store, { holder: 'backup@new', leaseMs: 60_000 }), {
      waitMs: 60_000,
      sleep: async (ms) => {
        sleeps.push(ms);
        if (sleeps.length === 1) await dead.release();
      },
    });

    const lease = keep(await lock.exclusive('prune p1'));

    expect(lease.isHeld()).toBe(true);
  });

  it('lets one host at a time open (initialize) the repository', async () => {
    const order: string[] = [];
    let release!: () => void;
    const first = replica('node-1').lock.initializing(async () => {
      order.push('first start');
      await new Promise<void>((r) => (release = r));
      order.push('first end');
    });
    await new Promise((r) => setImmediate(r));
    const second = replica('node-2', 60_000).lock.initializing(async () => void order.push('second'));
    await new Promise((r) => setImmediate(r));
    release();
    await Promise.all([first, second]);

    expect(order).toEqual(['first start', 'first end', 'second']);
  });
});
