import { randomBytes } from 'node:crypto';

/** A unique, NATS-safe and S3-safe name for per-test streams, buckets and namespaces. */
export const uniqueName = (prefix = 't'): string =>
  `${prefix}${Date.now().toString(36)}${randomBytes(3).toString('hex')}`.toLowerCase();

/** Waits until predicate returns a truthy value, polling; for conditions with no event to wait on. */
export async function waitFor<T>(
  predicate: () => Promise<T> | T,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 20000);
  let last: unknown;
  for (;;) {
    try {
      const v = await predicate();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${options.what ?? 'condition'}${last ? `: ${(last as Error).message}` : ''}`,
      );
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 50));
  }
}
