import { setTimeout as delay } from 'node:timers/promises';

/** Time source of the limiter; injectable for tests. */
export interface LimiterClock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

const systemClock: LimiterClock = {
  now: () => Date.now(),
  // aborted: rejects with the signal's reason when that is an Error (e.g. shutdown), else Node's AbortError
  sleep: (ms, signal) =>
    delay(ms, undefined, { signal }).catch((err: unknown) => {
      const reason: unknown = signal?.reason;
      throw reason instanceof Error ? reason : err;
    }),
};

/**
 * Spaces messages to one Slack incoming webhook URL at least `intervalMs` apart (Slack allows
 * about one per second per webhook). Callers get slots in the order they call acquire.
 *
 * In-process only: with several notifier replicas each paces itself, so a URL can see one
 * message per second per replica. Slack answers the excess with 429 + Retry-After, which the
 * sender turns into a retry and `defer` into a pause; a shared limiter (Redis, NATS KV) would
 * be needed for a strict global rate.
 */
export class SlackRateLimiter {
  private readonly nextSlot = new Map<string, number>();

  constructor(
    private readonly intervalMs = 1000,
    private readonly clock: LimiterClock = systemClock,
  ) {}

  /** Resolves when a message to `url` may be sent; rejects with the signal's reason when aborted. */
  acquire(url: string, signal?: AbortSignal): Promise<void> {
    const now = this.clock.now();
    if (this.nextSlot.size > 1000) this.sweep(now);
    const slot = Math.max(now, this.nextSlot.get(url) ?? now);
    this.nextSlot.set(url, slot + this.intervalMs);
    return slot <= now ? Promise.resolve() : this.clock.sleep(slot - now, signal);
  }

  /** Pushes the next slot for `url` at least `ms` into the future (after a 429 with Retry-After). */
  defer(url: string, ms: number): void {
    const until = this.clock.now() + ms;
    this.nextSlot.set(url, Math.max(until, this.nextSlot.get(url) ?? 0));
  }

  /** URLs currently tracked. */
  get size(): number {
    return this.nextSlot.size;
  }

  private sweep(now: number): void {
    for (const [url, slot] of this.nextSlot) if (slot <= now) this.nextSlot.delete(url);
  }
}
