import { elapsedMs, type LockClock, type LockInstant } from './lock-clock';
import { decodeHolderInfo, encodeHolderInfo, toLockView, type LockView, type StoredLockEntry } from './lock-entry';
import { LeaseLostError } from './lock-errors';
import type { LeaseTiming } from './lease-timing';
import type { LockStore } from './lock-store';

/** Why a lease was lost. */
export const LeaseLostCodes = {
  /** No renewal was confirmed within the lease: the process was paused, or NATS was unreachable or too slow. */
  Expired: 'LEASE_EXPIRED',
  /** Another lease holds the key now. */
  TakenOver: 'TAKEN_OVER',
  /** The entry was deleted (operator force-release) or expired on the server. */
  Removed: 'REMOVED',
} as const;
export type LeaseLostCode = (typeof LeaseLostCodes)[keyof typeof LeaseLostCodes];

/** What onLost listeners receive. */
export interface LeaseLost {
  code: LeaseLostCode;
  /** Says what happened and, where known, who holds the lock now. */
  message: string;
  /** When the loss was detected (holder wall clock, RFC 3339). */
  at: string;
  /** The entry found when the loss was detected (TAKEN_OVER), else null. */
  current: LockView | null;
  /** Last error of an unconfirmed renewal, if any. */
  lastError?: string;
}

/** What `release()` did (read it from `lease.releaseOutcome`). */
export const ReleaseOutcomes = {
  /** The entry was deleted: another holder can acquire at once. */
  Released: 'released',
  /** The entry was not this lease's any more (lost, taken over, expired): nothing was done. */
  NotHeld: 'not_held',
  /** NATS did not confirm the delete; the entry expires by TTL within one lease. */
  Unconfirmed: 'unconfirmed',
} as const;
export type ReleaseOutcome = (typeof ReleaseOutcomes)[keyof typeof ReleaseOutcomes];

/** Listener called synchronously, once, at the moment the lease is found lost. */
export type LeaseLostListener = (lost: LeaseLost) => void;

/** What acquiring produced; the lease starts from here. */
export interface LeaseGrant {
  key: string;
  rolloutId: string;
  holder: string;
  leaseId: string;
  since: string;
  /** Revision of the acquiring write: the fencing token. */
  revision: number;
  /** When the acquiring write was sent: the lease is trusted from here, never from the answer. */
  sentAt: LockInstant;
}

/** Collaborators of a lease. */
export interface LeaseDeps {
  store: LockStore;
  clock: LockClock;
  timing: LeaseTiming;
}

type LeaseState = 'held' | 'lost' | 'released';

/**
 * One held lease on a lock key, renewed by compare-and-swap until released or lost.
 *
 * The lease is trusted for `validForMs` (lease − safety margin) after the SEND time of the
 * last confirmed write, measured by both the wall and the monotonic clock; every read of
 * `isHeld()`/`fence()` checks that, so a process resuming from SIGSTOP answers "not held"
 * before any timer runs. A renewal whose answer did not arrive is never taken for
 * success: the lease keeps counting from the previous confirmed send, retries, and a
 * watchdog declares it lost when the trusted time runs out. Loss is final.
 */
export class FleetLease {
  readonly key: string;
  readonly rolloutId: string;
  readonly holder: string;
  readonly leaseId: string;
  /** Acquired at (holder wall clock, RFC 3339). */
  readonly since: string;
  /**
   * Fencing token: the revision (stream sequence) of the write that acquired the lease.
   * Stable while the lease lives, and higher than every revision any earlier holder of
   * this key wrote. Use it only after `isHeld()` said yes, or take it from `fence()`.
   */
  readonly token: number;

  private latestRevision: number;
  private confirmed: LockInstant;
  private unconfirmedSince?: LockInstant;
  private lastError?: Error;
  private state: LeaseState = 'held';
  private lostWith?: LeaseLost;
  private readonly listeners = new Set<LeaseLostListener>();
  private renewTimer?: NodeJS.Timeout;
  private watchdog?: NodeJS.Timeout;
  private inflight?: Promise<void>;
  private releasing?: Promise<void>;
  private outcome?: ReleaseOutcome;
  private abandoning?: Promise<void>;

  constructor(
    private readonly deps: LeaseDeps,
    grant: LeaseGrant,
    onLost?: LeaseLostListener,
  ) {
    this.key = grant.key;
    this.rolloutId = grant.rolloutId;
    this.holder = grant.holder;
    this.leaseId = grant.leaseId;
    this.since = grant.since;
    this.token = grant.revision;
    this.latestRevision = grant.revision;
    this.confirmed = grant.sentAt;
    if (onLost) this.listeners.add(onLost);
    if (this.check()) {
      this.scheduleRenew(deps.timing.renewIntervalMs - elapsedMs(grant.sentAt, deps.clock.now()));
      this.armWatchdog();
    }
  }

  /** True while the lease is trusted. False from the instant it is lost or released, forever after. */
  isHeld(): boolean {
    return this.check();
  }

  /** The fencing token to put on a command; throws LeaseLostError when the lease is not held. */
  fence(): number {
    if (!this.check())
      throw new LeaseLostError(
        `lock ${this.key} (token ${this.token}) is no longer held: ${this.lostWith?.message ?? 'released'}; stop issuing commands`,
      );
    return this.token;
  }

  /** Why the lease was lost, once it was. */
  get lost(): LeaseLost | undefined {
    this.check();
    return this.lostWith;
  }

  /** Revision of the latest write of this lease (changes with every renewal; not the fencing token). */
  get revision(): number {
    return this.latestRevision;
  }

  /** Holder wall-clock time at which the lease stops being trusted unless renewed. */
  get validUntil(): Date {
    return new Date(this.confirmed.wall + this.deps.timing.validForMs);
  }

  /** Adds a listener for the loss (called at once if already lost); returns a remover. */
  onLost(listener: LeaseLostListener): () => void {
    if (this.check() || this.state === 'released') {
      this.listeners.add(listener);
    } else if (this.lostWith) {
      const lost = this.lostWith;
      queueMicrotask(() => listener(lost));
    }
    return () => this.listeners.delete(listener);
  }

  /**
   * Stops renewing and deletes the entry if it is still this lease's (compare-and-swap on
   * the last revision). `isHeld()` is false from the call on. Never rejects; what happened
   * is in `releaseOutcome` once it resolved.
   */
  async release(): Promise<void> {
    if (this.state === 'lost') {
      this.outcome ??= ReleaseOutcomes.NotHeld;
      return;
    }
    if (!this.releasing) {
      this.state = 'released';
      this.clearTimers();
      this.releasing = this.doRelease()
        .catch(() => ReleaseOutcomes.Unconfirmed)
        .then((o) => void (this.outcome = o));
    }
    await this.releasing;
  }

  /** What `release()` did (undefined until it finished). */
  get releaseOutcome(): ReleaseOutcome | undefined {
    return this.outcome;
  }

  /** Runs one renewal now (the loop does this every renewIntervalMs). */
  renewNow(): Promise<void> {
    this.inflight ??= this.renew().finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  private check(): boolean {
    if (this.state !== 'held') return false;
    const elapsed = elapsedMs(this.confirmed, this.deps.clock.now());
    if (elapsed < this.deps.timing.validForMs) return true;
    const { leaseMs, safetyMarginMs } = this.deps.timing;
    this.lose(
      LeaseLostCodes.Expired,
      `no renewal of lock ${this.key} confirmed for ${Math.round(elapsed)}ms (lease ${leaseMs}ms, trusted ${leaseMs - safetyMarginMs}ms): the process was paused or NATS did not confirm renewals in time`,
    );
    return false;
  }

  private async renew(): Promise<void> {
    if (!this.check()) return;
    const sent = this.deps.clock.now();
    this.unconfirmedSince ??= sent;
    const value = encodeHolderInfo({
      holder: this.holder,
      rolloutId: this.rolloutId,
      since: this.since,
      renewedAt: new Date(sent.wall).toISOString(),
      leaseId: this.leaseId,
      token: this.token,
    });
    const result = await this.deps.store.update(this.key, value, this.latestRevision);
    if (result.status === 'ok') {
      this.latestRevision = result.revision;
      // The CAS on our previous revision succeeded, so no earlier unconfirmed write was
      // stored: this write was stored after `sent`.
      this.confirm(sent);
      if (this.state === 'lost') void this.abandon();
    } else if (result.status === 'conflict') {
      await this.resolveConflict();
    } else {
      this.lastError = result.error;
      if (this.check()) this.scheduleRenew(this.deps.timing.retryIntervalMs);
    }
  }

  /** The key is not at our last revision: our own unconfirmed write landed, or we lost it. */
  private async resolveConflict(): Promise<void> {
    let entry: StoredLockEntry | undefined;
    try {
      entry = await this.deps.store.get(this.key);
    } catch (err) {
      this.lastError = err as Error;
      if (this.check()) this.scheduleRenew(this.deps.timing.retryIntervalMs);
      return;
    }
    if (this.isOurs(entry) && entry!.revision > this.latestRevision) {
      // Every write with our lease id CASes on our previous one, and all unconfirmed ones
      // were sent after `unconfirmedSince`: trust from there.
      this.latestRevision = entry!.revision;
      this.confirm(this.unconfirmedSince ?? this.confirmed);
      if (this.state === 'lost') void this.abandon();
      return;
    }
    if (this.isOurs(entry)) {
      if (this.check()) this.scheduleRenew(this.deps.timing.retryIntervalMs);
      return;
    }
    const view = toLockView(entry, this.deps.timing.leaseMs);
    if (view)
      this.lose(
        LeaseLostCodes.TakenOver,
        `lock ${this.key} is now held by ${view.holder} for rollout ${view.rolloutId} (token ${view.token})`,
        view,
      );
    else if (entry)
      this.lose(
        LeaseLostCodes.Removed,
        `lock ${this.key} was deleted (revision ${entry.revision}), e.g. force-released by an operator`,
      );
    else
      this.lose(
        LeaseLostCodes.Removed,
        `lock ${this.key} is gone: it expired on the server (no renewal stored within the lease) or was purged`,
      );
  }

  private confirm(sent: LockInstant): void {
    if (sent.mono > this.confirmed.mono) this.confirmed = sent;
    this.unconfirmedSince = undefined;
    this.lastError = undefined;
    if (!this.check()) return;
    this.scheduleRenew(this.deps.timing.renewIntervalMs - elapsedMs(this.confirmed, this.deps.clock.now()));
    this.armWatchdog();
  }

  private lose(code: LeaseLostCode, message: string, current: LockView | null = null): void {
    if (this.state !== 'held') return;
    this.state = 'lost';
    this.clearTimers();
    const lost: LeaseLost = {
      code,
      message,
      at: new Date(this.deps.clock.now().wall).toISOString(),
      current,
      ...(this.lastError ? { lastError: this.lastError.message } : {}),
    };
    this.lostWith = lost;
    for (const listener of [...this.listeners]) {
      try {
        listener(lost);
      } catch {
        // One listener's failure must not keep the others from learning of the loss.
      }
    }
    if (code === LeaseLostCodes.Expired) void this.abandon();
  }

  /**
   * After giving up: while one lease passes, delete the entry if it is still ours (a
   * renewal sent before the loss can still be stored, e.g. when a stalled server resumes),
   * so other replicas need not wait out one more TTL. Best effort.
   */
  private abandon(): Promise<void> {
    this.abandoning ??= (async () => {
      await this.inflight;
      const from = this.deps.clock.now();
      while (elapsedMs(from, this.deps.clock.now()) < this.deps.timing.leaseMs) {
        try {
          const entry = await this.deps.store.get(this.key);
          if (!this.isOurs(entry)) return;
          const result = await this.deps.store.remove(this.key, entry!.revision);
          if (result.status === 'ok') return;
        } catch {
          // Unreachable for now: try again.
        }
        await new Promise((r) => setTimeout(r, this.deps.timing.retryIntervalMs).unref());
      }
    })();
    return this.abandoning;
  }

  private async doRelease(): Promise<ReleaseOutcome> {
    await this.inflight;
    let unconfirmed = false;
    for (let attempt = 0; attempt < 3; attempt++) {
      const result = await this.deps.store.remove(this.key, this.latestRevision);
      if (result.status === 'ok') return ReleaseOutcomes.Released;
      unconfirmed ||= result.status === 'unknown';
      let entry: StoredLockEntry | undefined;
      try {
        entry = await this.deps.store.get(this.key);
      } catch {
        continue;
      }
      if (!this.isOurs(entry))
        return unconfirmed && entry?.operation !== 'PUT' ? ReleaseOutcomes.Released : ReleaseOutcomes.NotHeld;
      this.latestRevision = entry!.revision;
    }
    return ReleaseOutcomes.Unconfirmed;
  }

  private isOurs(entry: StoredLockEntry | undefined): boolean {
    return entry?.operation === 'PUT' && decodeHolderInfo(entry.value)?.leaseId === this.leaseId;
  }

  private scheduleRenew(delayMs: number): void {
    clearTimeout(this.renewTimer);
    this.renewTimer = setTimeout(() => void this.renewNow(), Math.max(0, delayMs));
  }

  /** Fires when the trusted time runs out, even while a renewal request hangs. */
  private armWatchdog(): void {
    clearTimeout(this.watchdog);
    const remaining = this.deps.timing.validForMs - elapsedMs(this.confirmed, this.deps.clock.now());
    this.watchdog = setTimeout(
      () => {
        if (this.check()) this.armWatchdog();
      },
      Math.max(0, remaining) + 1,
    );
  }

  private clearTimers(): void {
    clearTimeout(this.renewTimer);
    clearTimeout(this.watchdog);
  }
}
