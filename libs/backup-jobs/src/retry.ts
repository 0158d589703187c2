/** How to retry an operation that fails while a dependency (NATS during a failover) is away. */
export interface RetryOptions {
  /** Give up (rethrow the last error) after this long, ms. */
  forMs: number;
  /** Which errors are worth another try (default: all). */
  retryable?: (err: unknown) => boolean;
  /** Called before each wait, e.g. to log. */
  onRetry?: (err: unknown, delayMs: number) => void;
  sleep?: (ms: number) => Promise<void>;
  /** First wait, doubled up to `maxDelayMs`. */
  firstDelayMs?: number;
  maxDelayMs?: number;
}

/** Runs `op`, retrying with doubling waits while it fails retryably, for up to `forMs`. */
export async function retryFor<T>(op: () => Promise<T>, o: RetryOptions): Promise<T> {
  const deadline = Date.now() + o.forMs;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  for (let delay = o.firstDelayMs ?? 200; ; delay = Math.min(delay * 2, o.maxDelayMs ?? 3_000)) {
    try {
      return await op();
    } catch (err) {
      if ((o.retryable && !o.retryable(err)) || Date.now() >= deadline) throw err;
      o.onRetry?.(err, delay);
      await sleep(delay);
    }
  }
}
