import { BACKUP_LOCK_PREFIX, CodedError } from '@lockstep/contracts';
import { BackupJobErrorCode } from './errors';
import { retryFor } from './retry';
import {
  FleetLockUnavailableError,
  type AcquireOptions,
  type FleetLease,
  type FleetLock,
  type LeaseLostListener,
  type LockView,
} from '@lockstep/fleet-lock';

const EXCLUSIVE_KEY = `${BACKUP_LOCK_PREFIX}.exclusive`;
const SHARED_PREFIX = `${BACKUP_LOCK_PREFIX}.shared.`;
const INIT_KEY = `${BACKUP_LOCK_PREFIX}.init`;

/** The repository is busy: a prune runs (for a backup/restore), or a backup/restore runs (for a prune). */
export class RepositoryBusyError extends CodedError<typeof BackupJobErrorCode.RepositoryBusy> {
  override name = 'RepositoryBusyError';
  constructor(
    message: string,
    readonly holders: LockView[],
  ) {
    super(BackupJobErrorCode.RepositoryBusy, message);
  }
}

/** Time source and sleep, replaceable in unit specs. */
export interface LockWaiting {
  /** How long a shared acquisition waits for a running prune before giving up (ms). */
  waitMs: number;
  /** How long lock operations are retried while NATS is unavailable, e.g. during a server failover (ms; default 30 s). */
  unavailableMs?: number;
  sleep: (ms: number) => Promise<void>;
}

const describe = (v: LockView): string => `${v.rolloutId} (held by ${v.holder} since ${v.since})`;

/**
 * Shared/exclusive lock on the backup repository, built from leases of the cluster lock
 * bucket (so `lockstep locks` shows them and an operator can force-release a stuck one).
 * Backups, verifies and restores hold a shared lease of their own key; prune holds the one
 * exclusive key. Each side writes its own entry first and then looks for the other side:
 * with a linearizable KV, two racing parties cannot both miss each other — at worst both
 * back off. A holder that dies stops renewing, and its entry expires with the lease.
 */
export class BackupRepositoryLock {
  constructor(
    private readonly lock: FleetLock,
    private readonly waiting: LockWaiting = { waitMs: 60_000, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) },
  ) {}

  /**
   * Takes a shared lease for one operation (`what`, e.g. `backup backup_2026…`); waits up to
   * `waitMs` while a prune holds the repository, then throws RepositoryBusyError. It waits, too,
   * while the operation's own key is held: an operation is delivered again when its worker died,
   * whose lease lasts until it expires.
   */
  async shared(operationId: string, what: string, onLost?: LeaseLostListener): Promise<FleetLease> {
    const deadline = Date.now() + this.waiting.waitMs;
    for (let delay = 250; ; delay = Math.min(delay * 2, 5_000)) {
      const lease = await this.acquire(what, {
        key: `${SHARED_PREFIX}${operationId.replace(/[^-_=.a-zA-Z0-9]/g, '_')}`,
        onLost,
      });
      if (!lease) {
        if (Date.now() >= deadline)
          throw new RepositoryBusyError(
            `operation ${operationId} already holds the backup repository; it is running elsewhere`,
            [],
          );
        await this.waiting.sleep(delay);
        continue;
      }
      const pruning = await this.available(() => this.lock.inspect(EXCLUSIVE_KEY));
      if (!pruning) return lease;
      await lease.release().catch(() => undefined);
      if (Date.now() >= deadline) {
        throw new RepositoryBusyError(
          `the backup repository is being pruned by ${describe(pruning)}; ${what} did not start. Try again when the prune has finished.`,
          [pruning],
        );
      }
      await this.waiting.sleep(delay);
    }
  }

  /**
   * Runs `open` while holding the repository's init key, so that hosts opening a new
   * repository at the same moment do not each create its config (an encrypted repository
   * would get several keys, the last write winning). Waits up to `waitMs` for the key.
   */
  async initializing<T>(open: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.waiting.waitMs;
    for (let delay = 100; ; delay = Math.min(delay * 2, 2_000)) {
      const lease = await this.acquire('open the backup repository', { key: INIT_KEY });
      if (lease) {
        try {
          return await open();
        } finally {
          await lease.release().catch(() => undefined);
        }
      }
      if (Date.now() >= deadline)
        throw new RepositoryBusyError(
          'another host has been opening the backup repository for too long; try again',
          [],
        );
      await this.waiting.sleep(delay);
    }
  }

  /**
   * Takes the exclusive lease for a prune; throws RepositoryBusyError naming what runs. Waits up
   * to `waitMs` while another prune holds it (a prune delivered again after its worker died finds
   * that worker's lease until it expires).
   */
  async exclusive(what: string, onLost?: LeaseLostListener): Promise<FleetLease> {
    const deadline = Date.now() + this.waiting.waitMs;
    let lease: FleetLease | undefined;
    for (let delay = 250; !lease; delay = Math.min(delay * 2, 5_000)) {
      lease = await this.acquire(what, { key: EXCLUSIVE_KEY, onLost });
      if (lease) break;
      if (Date.now() >= deadline) {
        const holder = await this.lock.inspect(EXCLUSIVE_KEY);
        throw new RepositoryBusyError(
          `another prune holds the backup repository${holder ? `: ${describe(holder)}` : ''}`,
          holder ? [holder] : [],
        );
      }
      await this.waiting.sleep(delay);
    }
    const running = (await this.available(() => this.lock.list())).filter((v) => v.key.startsWith(SHARED_PREFIX));
    if (running.length === 0) return lease;
    await lease.release().catch(() => undefined);
    throw new RepositoryBusyError(
      `prune never runs while backups or restores do; running now: ${running.map(describe).join('; ')}. Try again when they have finished.`,
      running,
    );
  }

  private acquire(what: string, options: AcquireOptions): Promise<FleetLease | undefined> {
    return this.available(() => this.lock.tryAcquire(what, options));
  }

  /** Runs a lock operation, retrying while NATS is unavailable (a server failing over) for up to `unavailableMs`. */
  private available<T>(op: () => Promise<T>): Promise<T> {
    return retryFor(op, {
      forMs: this.waiting.unavailableMs ?? 30_000,
      retryable: (err) => err instanceof FleetLockUnavailableError,
      sleep: this.waiting.sleep,
    });
  }
}
